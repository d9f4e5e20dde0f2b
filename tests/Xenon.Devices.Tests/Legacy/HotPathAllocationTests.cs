using Xenon.Devices.Legacy.Acpi;
using Xenon.Devices.Legacy.Rtc;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.Tests.Fakes;
using Xenon.Devices.Tests.Support;
using Xenon.Machine.Backend;

namespace Xenon.Devices.Tests.Legacy;

/// <summary>Port accesses run on vCPU threads for every guest console byte and clock read: they must not allocate.</summary>
public sealed class HotPathAllocationTests
{
    private sealed class CountingOutput : ISerialOutput
    {
        public long Count;
        public void Write(ReadOnlySpan<byte> data) => Count += data.Length;
    }

    /// <summary>
    /// Counts level changes instead of recording them: FakeIrqLine's growing history list allocated inside the
    /// measured windows (32 792 bytes in the fifth UART run), which is the fake's cost, not the device's.
    /// </summary>
    private sealed class CountingIrqLine(int gsi) : IIrqLine
    {
        public long Changes;
        public int Gsi => gsi;
        public void SetLevel(bool high) => Changes++;
    }

    [Fact]
    public void SerialTransmitAndReceiveDoNotAllocate()
    {
        var output = new CountingOutput();
        var irq = new CountingIrqLine(4);
        var uart = new Serial16550(irq, output);
        uart.Write(4, [0x08]);
        uart.Write(1, [0x03]);
        byte[] input = new byte[64];
        var windows = Allocations.Measure(() =>
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
        }, warmUps: 3);
        windows.AssertNothingAllocated("1000 UART round trips");
        Assert.Equal(windows.Runs * 1000L, output.Count); // one byte out per round trip, warm-ups included
        Assert.True(irq.Changes >= windows.Runs * 1000L, $"the IRQ line changed {irq.Changes} times over {windows.Runs * 1000} round trips: the measured path should drive it");
    }

    [Fact]
    public void RtcAndPmTimerReadsDoNotAllocate()
    {
        using var rtc = new CmosRtc(new CountingIrqLine(8));
        var pm = new AcpiPm(new CountingIrqLine(9), new FakeMachineControl());
        var windows = Allocations.Measure(() =>
        {
            Span<byte> b = stackalloc byte[4];
            for (int i = 0; i < 1000; i++)
            {
                rtc.Write(0, [(byte)(i % 10)]);
                rtc.Read(1, b[..1]);
                pm.Timer.Read(0, b);
                pm.EventBlock.Read(0, b[..2]);
            }
        }, warmUps: 3);
        windows.AssertNothingAllocated("1000 RTC/PM reads");
    }
}
