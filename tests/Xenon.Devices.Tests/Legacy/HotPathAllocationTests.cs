using Xenon.Devices.Legacy.Acpi;
using Xenon.Devices.Legacy.Rtc;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.Tests.Fakes;

namespace Xenon.Devices.Tests.Legacy;

/// <summary>Port accesses run on vCPU threads for every guest console byte and clock read: they must not allocate.</summary>
public sealed class HotPathAllocationTests
{
    private sealed class CountingOutput : ISerialOutput
    {
        public long Count;
        public void Write(ReadOnlySpan<byte> data) => Count += data.Length;
    }

    private static long AllocatedBy(Action action)
    {
        // Warm up JIT tiers and lazy statics so only steady-state allocations are counted.
        for (int i = 0; i < 3; i++) action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void SerialTransmitAndReceiveDoNotAllocate()
    {
        var output = new CountingOutput();
        var uart = new Serial16550(new FakeIrqLine(4), output);
        uart.Write(4, [0x08]);
        uart.Write(1, [0x03]);
        byte[] input = new byte[64];
        long allocated = AllocatedBy(() =>
        {
            Span<byte> b = stackalloc byte[1];
            for (int i = 0; i < 1000; i++)
            {
                uart.Write(0, [(byte)i]);
                uart.Read(2, b);
                uart.Enqueue(input.AsSpan(0, 1));
                uart.Read(5, b);
                uart.Read(0, b);
            }
        });
        Assert.True(allocated == 0, $"1000 UART round trips allocated {allocated} bytes");
        Assert.Equal(4 * 1000, output.Count); // three warm-up runs and the measured one
    }

    [Fact]
    public void RtcAndPmTimerReadsDoNotAllocate()
    {
        using var rtc = new CmosRtc(new FakeIrqLine(8));
        var pm = new AcpiPm(new FakeIrqLine(9), new FakeMachineControl());
        long allocated = AllocatedBy(() =>
        {
            Span<byte> b = stackalloc byte[4];
            for (int i = 0; i < 1000; i++)
            {
                rtc.Write(0, [(byte)(i % 10)]);
                rtc.Read(1, b[..1]);
                pm.Timer.Read(0, b);
                pm.EventBlock.Read(0, b[..2]);
            }
        });
        Assert.True(allocated == 0, $"1000 RTC/PM reads allocated {allocated} bytes");
    }
}
