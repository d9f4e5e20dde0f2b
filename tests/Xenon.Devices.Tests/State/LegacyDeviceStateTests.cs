using Xenon.Devices.Legacy.Acpi;
using Xenon.Devices.Legacy.I8042;
using Xenon.Devices.Legacy.Platform;
using Xenon.Devices.Legacy.Rtc;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.State;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Tests.State;

public sealed class LegacyDeviceStateTests
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero));

    private static byte In(IPioDevice device, ushort offset)
    {
        Span<byte> b = stackalloc byte[1];
        device.Read(offset, b);
        return b[0];
    }

    private static void Out(IPioDevice device, ushort offset, byte value) => device.Write(offset, [value]);

    [Fact]
    public void SerialRoundTripsAndTheGuestReadsWhatWasPending()
    {
        var source = new Serial16550(new FakeIrqLine(4), new CapturingSerialOutput());
        Out(source, 3, 0x80);        // DLAB
        Out(source, 0, 0x01);        // 115200 baud
        Out(source, 3, 0x03);        // 8n1
        Out(source, 1, 0x01);        // receive interrupt
        Out(source, 4, 0x08);        // OUT2
        Out(source, 7, 0x5a);
        source.Enqueue("hi!"u8);
        byte[] blob = StateBlob.Save(source);

        var irq = new FakeIrqLine(4);
        var target = new Serial16550(irq, new CapturingSerialOutput());
        target.RestoreState(blob);

        Assert.Equal(blob, StateBlob.Save(target));
        Assert.True(irq.Level, irq.ToString());
        Assert.Equal(0x5a, In(target, 7));
        Assert.Equal((byte)'h', In(target, 0));
        Assert.Equal((byte)'i', In(target, 0));
        Assert.Equal((byte)'!', In(target, 0));
        Assert.Equal(0, In(target, 5) & 0x01);
        Assert.False(irq.Level, irq.ToString());
    }

    [Fact]
    public void RtcRoundTripsItsClockAndNvram()
    {
        using var source = new CmosRtc(new FakeIrqLine(8), _clock);
        Out(source, 0, 0x50);
        Out(source, 1, 0x77);
        byte[] blob = StateBlob.Save(source);

        using var target = new CmosRtc(new FakeIrqLine(8), _clock);
        target.RestoreState(blob);
        Assert.Equal(blob, StateBlob.Save(target));
        Assert.Equal(source.GuestTime, target.GuestTime);
        Out(target, 0, 0x50);
        Assert.Equal(0x77, In(target, 1));
    }

    [Fact]
    public void I8042RoundTripsAPendingResponse()
    {
        var source = new I8042Controller(new FakeMachineControl());
        Out(source.CommandPort, 0, 0x20);        // read command byte: the answer waits in the output buffer
        byte[] blob = StateBlob.Save(source);

        var target = new I8042Controller(new FakeMachineControl());
        target.RestoreState(blob);
        Assert.Equal(blob, StateBlob.Save(target));
        Assert.Equal(0x01, In(target.CommandPort, 0) & 0x01);
        Assert.Equal(In(source.DataPort, 0), In(target.DataPort, 0));
    }

    [Fact]
    public void AcpiPmRoundTripsAndItsTimerContinues()
    {
        var source = new AcpiPm(new FakeIrqLine(9), new FakeMachineControl(), _clock);
        source.EventBlock.Write(2, [0x00, 0x01]); // power button enable
        _clock.Advance(TimeSpan.FromMilliseconds(3));
        byte[] blob = StateBlob.Save(source);

        var target = new AcpiPm(new FakeIrqLine(9), new FakeMachineControl(), _clock);
        target.RestoreState(blob);
        Assert.Equal(blob, StateBlob.Save(target));
        uint before = target.TimerValue;
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.InRange(target.TimerValue - before, 3579u - 2, 3579u + 2);
    }

    [Fact]
    public void ResetControlAndConfigAddressRoundTrip()
    {
        var reset = new ResetControl(new FakeMachineControl());
        Out(reset, 0, 0x02);
        var copy = new ResetControl(new FakeMachineControl());
        copy.RestoreState(StateBlob.Save(reset));
        Assert.Equal(0x02, In(copy, 0));
    }

    [Fact]
    public void EachDeviceHasItsOwnDefaultIdAndTheBuilderMayRenameIt()
    {
        var serial = new Serial16550(new FakeIrqLine(3), new CapturingSerialOutput()) { StateId = "serial1" };
        using var rtc = new CmosRtc(new FakeIrqLine(8), _clock);
        IStatefulDevice[] devices = [serial, rtc, new I8042Controller(new FakeMachineControl()),
            new AcpiPm(new FakeIrqLine(9), new FakeMachineControl(), _clock), new ResetControl(new FakeMachineControl())];
        Assert.Equal(["serial1", "rtc", "i8042", "acpi-pm", "reset-control"], devices.Select(d => d.StateId));
    }

    [Fact]
    public void ABlobOfOneDeviceIsRefusedByAnother()
    {
        var serial = new Serial16550(new FakeIrqLine(4), new CapturingSerialOutput());
        var e = Assert.Throws<DeviceStateException>(() => new I8042Controller(new FakeMachineControl()).RestoreState(StateBlob.Save(serial)));
        Assert.Contains("serial16550", e.Message);
    }

    [Fact]
    public void ModelLimitsBecomeStateErrors()
    {
        var serial = new Serial16550(new FakeIrqLine(4), new CapturingSerialOutput());
        byte[] blob = StateBlob.Save(serial);
        // The receive buffer's count is the u32 after the fixed fields: claim 4097 bytes.
        int countAt = blob.Length - 4;
        BitConverter.TryWriteBytes(blob.AsSpan(countAt), 4097u);
        var e = Assert.Throws<DeviceStateException>(() => serial.RestoreState([.. blob, .. new byte[4097]]));
        Assert.Contains("receive buffer", e.Message);

        var pm = new AcpiPm(new FakeIrqLine(9), new FakeMachineControl(), _clock);
        byte[] pmBlob = StateBlob.Save(pm);
        BitConverter.TryWriteBytes(pmBlob.AsSpan(pmBlob.Length - 4), 0x0100_0000u);
        Assert.Contains("24-bit", Assert.Throws<DeviceStateException>(() => pm.RestoreState(pmBlob)).Message);
    }

    public static TheoryData<string> Devices => ["serial", "rtc", "i8042", "acpi-pm", "reset-control"];

    [Theory]
    [MemberData(nameof(Devices))]
    public void CorruptBlobsFailCleanly(string which)
    {
        Func<IStateful> fresh = which switch
        {
            "serial" => () => new Serial16550(new FakeIrqLine(4), new CapturingSerialOutput()),
            "rtc" => () => new CmosRtc(new FakeIrqLine(8), _clock),
            "i8042" => () => new I8042Controller(new FakeMachineControl()),
            "acpi-pm" => () => new AcpiPm(new FakeIrqLine(9), new FakeMachineControl(), _clock),
            _ => () => new ResetControl(new FakeMachineControl()),
        };
        var source = fresh();
        if (source is Serial16550 uart) uart.Enqueue("abc"u8);
        byte[] blob = StateBlob.Save(source);
        (source as IDisposable)?.Dispose();
        int refused = StateBlob.AssertOnlyCleanFailures(blob, fresh);
        Assert.True(refused >= blob.Length, $"only {refused} corruptions were refused"); // at least every truncation
    }
}
