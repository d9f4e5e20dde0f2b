using Xenon.Machine.State;

namespace Xenon.Machine.Tests.Soft;

/// <summary>
/// The machine tests of Xenon.System.Tests (MachineTests, the same guests and assertions) on the software CPU: no
/// /dev/kvm needed, so they run on every host as ordinary unit tests.
/// </summary>
public sealed class SoftMachineTests
{
    [Fact]
    public void PortIoReachesDevicesAndReadsComeBack()
    {
        using var m = SoftTestMachine.Start("portio");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Equal(new byte[] { 0x42, 0x99, 0xff }, m.Port.Written);
        Assert.Equal(1, m.Vm.Pio.Unhandled.CountAt(0x99));
    }

    [Fact]
    public void MmioWritesAndReadsReachTheDevice()
    {
        using var m = SoftTestMachine.Start("mmio");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        var writes = m.Mmio.Writes;
        Assert.Equal(2, writes.Count);
        Assert.Equal(0UL, writes[0].Offset);
        Assert.Equal(new byte[] { 0x5a }, writes[0].Data);
        Assert.Equal(0x10UL, writes[1].Offset);
        Assert.Equal(new byte[] { 0x34, 0x12 }, writes[1].Data);
        Assert.Equal(new byte[] { 0xa4 }, m.Port.Written);
    }

    [Fact]
    public void SerialOutputIsCaptured()
    {
        using var m = SoftTestMachine.Start("serial-out");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Equal("hello, xenon\r\n", m.SerialOutput);
    }

    [Fact]
    public void SerialInputRaisesIrq4ThroughThePicAndWakesAHaltedCpu()
    {
        using var m = SoftTestMachine.Start("serial-in-irq");
        m.WaitUntil(x => x.Port.Written.Length >= 1, "the guest to be ready for input");
        // the guest now sits in HLT with interrupts on: that must be a wait, not the end of the machine
        m.WaitUntil(x => x.Vcpu0.Cpu.State.Halted, "the guest to halt");
        Thread.Sleep(100);
        Assert.False(m.Vm.Exited.IsCompleted, $"HLT with IF=1 ended the machine: {m.Describe()}");
        Assert.Equal(3, m.Platform.Serial.Enqueue("abq"u8));
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Equal(new byte[] { 0x01, (byte)'a', (byte)'b', (byte)'q' }, m.Port.Written);
    }

    [Fact]
    public void RtcReportsTheHostDate()
    {
        var before = DateTime.UtcNow;
        using var m = SoftTestMachine.Start("rtc");
        var exit = m.WaitForExit();
        var after = DateTime.UtcNow;
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        var b = m.Port.Written;
        Assert.Equal(7, b.Length);
        bool binary = (b[0] & 0x04) != 0;
        int D(byte v) => binary ? v : (v >> 4) * 10 + (v & 0xf);
        var guest = new DateTime(2000 + D(b[6]), D(b[5]), D(b[4]), D(b[3]) & 0x7f, D(b[2]), D(b[1]), DateTimeKind.Utc);
        Assert.True(guest >= before.AddSeconds(-2) && guest <= after.AddSeconds(2),
            $"guest RTC {guest:O} not within [{before:O}, {after:O}]; raw {Convert.ToHexString(b)}");
    }

    [Fact]
    public void I8042PulseResetIsAReboot()
    {
        using var m = SoftTestMachine.Start("i8042-reset");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Reboot, $"{exit}; {m.Describe()}");
    }

    [Fact]
    public void ResetControlRegisterIsAReboot()
    {
        using var m = SoftTestMachine.Start("reset-cf9");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Reboot, $"{exit}; {m.Describe()}");
    }

    [Fact]
    public void AcpiS5IsAPowerOff()
    {
        using var m = SoftTestMachine.Start("poweroff");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Contains("S5", exit.Detail);
    }

    [Fact]
    public void PvPanicIsACrash()
    {
        using var m = SoftTestMachine.Start("pvpanic");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Crash, $"{exit}; {m.Describe()}");
        Assert.Contains("pvpanic", exit.Detail);
        Assert.Equal(new byte[] { 0x03 }, m.Port.Written);
    }

    [Fact]
    public void TripleFaultIsACrash()
    {
        using var m = SoftTestMachine.Start("triple-fault");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Crash, $"{exit}; {m.Describe()}");
        Assert.Contains("triple fault", exit.Detail);
    }
}
