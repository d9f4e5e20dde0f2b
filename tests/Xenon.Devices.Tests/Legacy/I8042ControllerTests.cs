using Xenon.Devices.Legacy.I8042;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine;

namespace Xenon.Devices.Tests.Legacy;

public sealed class I8042ControllerTests
{
    private readonly FakeMachineControl _control = new();
    private readonly I8042Controller _kbc;

    private readonly FakeIrqLine _irq1 = new(1);
    private readonly FakeIrqLine _irq12 = new(12);

    public I8042ControllerTests() => _kbc = new I8042Controller(_control, _irq1, _irq12);

    private byte Status()
    {
        Span<byte> b = stackalloc byte[1];
        _kbc.CommandPort.Read(0, b);
        return b[0];
    }

    private byte Data()
    {
        Span<byte> b = stackalloc byte[1];
        _kbc.DataPort.Read(0, b);
        return b[0];
    }

    private void Command(byte c) => _kbc.CommandPort.Write(0, [c]);
    private void WriteData(byte d) => _kbc.DataPort.Write(0, [d]);

    [Fact]
    public void PulseResetCommandRebootsTheMachine()
    {
        Command(0xfe);
        Assert.Equal([(ShutdownReason.Reboot, "i8042 reset")], _control.Requests);
    }

    [Fact]
    public void PulsingOtherOutputLinesDoesNotReset()
    {
        Command(0xff);
        Command(0xfd);
        Assert.Empty(_control.Requests);
    }

    [Fact]
    public void SelfTestAnswers55AndSetsTheSystemFlag()
    {
        Assert.Equal(0x00, Status() & 0x05);
        Command(0xaa);
        Assert.Equal(0x05, Status() & 0x05); // output full, system flag
        Assert.Equal(0x55, Data());
        Assert.Equal(0x00, Status() & 0x01);
    }

    [Fact]
    public void InterfaceTestsPass()
    {
        Command(0xab);
        Assert.Equal(0x00, Data());
        Command(0xa9);
        Assert.Equal(0x00, Data());
    }

    [Fact]
    public void CommandByteReadsAndWritesThroughTheDataPort()
    {
        Command(0x20);
        Assert.Equal(0x45, Data());
        Command(0x60);
        WriteData(0x65);
        Command(0x20);
        Assert.Equal(0x65, Data());
    }

    [Fact]
    public void PortEnableCommandsToggleTheCommandByteDisableBits()
    {
        Command(0xa7);
        Command(0xad);
        Command(0x20);
        Assert.Equal(0x30, Data() & 0x30);
        Command(0xa8);
        Command(0xae);
        Command(0x20);
        Assert.Equal(0x00, Data() & 0x30);
        Assert.Empty(_control.Requests);
    }

    [Fact]
    public void OutputPortWriteWithResetLineLowReboots()
    {
        Command(0xd1);
        WriteData(0x03);
        Assert.Empty(_control.Requests);
        Command(0xd0);
        Assert.Equal(0x03, Data());

        Command(0xd1);
        WriteData(0xfe);
        Assert.Equal([(ShutdownReason.Reboot, "i8042 reset")], _control.Requests);
    }

    [Fact]
    public void KeyboardCommandsFindNoKeyboard()
    {
        WriteData(0xff); // reset keyboard
        WriteData(0xf2); // identify
        Assert.Equal(0x00, Status() & 0x01);
        Assert.Empty(_control.Requests);
    }

    [Fact]
    public void WriteOutputBufferCommandsEchoThroughTheDataPort()
    {
        Command(0xd3);
        WriteData(0x42);
        Assert.Equal(0x21, Status() & 0x21); // full, from aux
        Assert.Equal(0x42, Data());
        Command(0xd2);
        WriteData(0x43);
        Assert.Equal(0x01, Status() & 0x21);
        Assert.Equal(0x43, Data());
    }

    [Fact]
    public void StatusReportsWhetherTheLastWriteWasACommand()
    {
        Command(0xad);
        Assert.Equal(0x08, Status() & 0x08);
        WriteData(0x00);
        Assert.Equal(0x00, Status() & 0x08);
    }

    [Fact]
    public void StateRoundTrips()
    {
        Command(0x60);
        WriteData(0x61);
        Command(0xaa);
        var state = _kbc.GetState();
        var copy = new I8042Controller(new FakeMachineControl());
        copy.SetState(state);
        var back = copy.GetState();
        Assert.Equal(state.Ram, back.Ram);
        Assert.Equal(state with { Ram = [] }, back with { Ram = [] });
        Assert.Throws<ArgumentException>(() => copy.SetState(state with { Ram = new byte[3] }));
    }

    [Fact]
    public void AuxLoopbackRaisesIrq12WhenEnabledAndReadingLowersIt()
    {
        // Linux's AUX probe: enable the AUX interrupt, loop a byte back, wait for IRQ 12.
        Command(0x60);
        WriteData(0x47); // kbd + aux interrupts, system flag, translation
        Command(0xd3);
        WriteData(0xa5);
        Assert.True(_irq12.Level, _irq12.ToString());
        Assert.False(_irq1.Level, _irq1.ToString());
        Assert.Equal(0x21, Status() & 0x21); // output full, from AUX
        Assert.Equal(0xa5, Data());
        Assert.False(_irq12.Level, _irq12.ToString());
    }

    [Fact]
    public void KeyboardDataRaisesIrq1OnlyWhenTheCommandByteEnablesIt()
    {
        Command(0x60);
        WriteData(0x44); // interrupts off
        Command(0xd2);
        WriteData(0x11);
        Assert.False(_irq1.Level, _irq1.ToString());
        Assert.Equal(0x11, Data());
        Command(0x60);
        WriteData(0x45); // keyboard interrupt on
        Command(0xd2);
        WriteData(0x22);
        Assert.True(_irq1.Level, _irq1.ToString());
        Assert.Equal(0x22, Data());
        Assert.False(_irq1.Level, _irq1.ToString());
        Assert.Equal([true, false], _irq1.Levels);
    }
}
