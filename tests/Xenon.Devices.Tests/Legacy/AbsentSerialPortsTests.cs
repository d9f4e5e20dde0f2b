using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Tests.Legacy;

public sealed class AbsentSerialPortsTests
{
    private const ushort Com1 = 0x3f8, Com2 = 0x2f8, Com3 = 0x3e8, Com4 = 0x2e8;

    [Fact]
    public void ClaimsEveryLegacyBaseExceptThePresentOnes()
    {
        var bus = new PioBus();
        int claimed = new AbsentSerialPorts().Register(bus, [Com1]);
        Assert.Equal(3, claimed);
        // COM1 is left free for the real UART, which registers after it without an overlap
        new Serial16550(new FakeIrqLine(4), new CapturingSerialOutput()).Register(bus, Com1);
        foreach (ushort basePort in new[] { Com2, Com3, Com4 })
            Assert.Throws<InvalidOperationException>(() => bus.Register(basePort, 1, new AbsentSerialPorts()));
    }

    [Fact]
    public void WithNoUartPresentAllFourBasesAreClaimed()
    {
        Assert.Equal(4, new AbsentSerialPorts().Register(new PioBus(), []));
    }

    [Fact]
    public void PortsThatAreNotLegacyComBasesAreIgnoredInThePresentList()
    {
        Assert.Equal(4, new AbsentSerialPorts().Register(new PioBus(), [0x3f9, 0x80]));
    }

    [Fact]
    public void ANullBusIsRefused()
    {
        Assert.Throws<ArgumentNullException>(() => new AbsentSerialPorts().Register(null!, []));
    }

    [Fact]
    public void ProbingAnAbsentUartFindsTheFloatingBusAndLogsNothing()
    {
        var logged = new List<string>();
        var bus = new PioBus(logged.Add);
        new AbsentSerialPorts().Register(bus, [Com1]);
        Span<byte> b = stackalloc byte[1];
        foreach (ushort basePort in new[] { Com2, Com3, Com4 })
        {
            for (ushort reg = 0; reg < 8; reg++)
            {
                // what Linux's 8250 probe does: write a register, read it back
                bus.Write((ushort)(basePort + reg), [0x5a]);
                b[0] = 0;
                bus.Read((ushort)(basePort + reg), b);
                Assert.Equal(0xff, b[0]);
            }
        }
        Assert.Equal(0, bus.Unhandled.Total);
        Assert.Empty(logged);
        // a port that is still unclaimed is logged as before
        bus.Read(0x2f0, b);
        Assert.Equal(1, bus.Unhandled.Total);
        Assert.Single(logged);
    }

    [Fact]
    public void WideAccessesReadAllOnesToo()
    {
        var dev = new AbsentSerialPorts();
        Span<byte> b = stackalloc byte[4];
        dev.Read(4, b);
        Assert.Equal([0xff, 0xff, 0xff, 0xff], b.ToArray());
    }
}
