using Xenon.Machine;

namespace Xenon.System.Tests.Machine;

/// <summary>
/// Machine tests: tiny real-mode guests, each proving one mechanism on the real /dev/kvm
/// (port and MMIO exits, serial out and in, interrupts through the in-kernel PIC, RTC,
/// reset vs poweroff vs crash). Every guest ends by a platform mechanism, never by a timeout.
/// </summary>
[Trait("Requires", "Kvm")]
public sealed class MachineTests
{
    [Fact]
    public void PortIoReachesDevicesAndReadsComeBack()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("portio");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Equal(new byte[] { 0x42, 0x99, 0xff }, m.Port.Written);
        Assert.Equal(1, m.Vm.Pio.Unhandled.CountAt(0x99));
    }

    [Fact]
    public void MmioWritesAndReadsReachTheDevice()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("mmio");
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
        Requirements.Kvm();
        using var m = TestMachine.Start("serial-out");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Equal("hello, xenon\r\n", m.SerialOutput);
    }

    [Fact]
    public void SerialInputRaisesIrq4ThroughThePic()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("serial-in-irq");
        Assert.True(m.Port.WaitFor(1, TimeSpan.FromSeconds(30)), m.Describe());
        Assert.Equal(3, m.Platform.Serial.Enqueue("abq"u8));
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Equal(new byte[] { 0x01, (byte)'a', (byte)'b', (byte)'q' }, m.Port.Written);
    }

    [Fact]
    public void RtcReportsTheHostDate()
    {
        Requirements.Kvm();
        var before = DateTime.UtcNow;
        using var m = TestMachine.Start("rtc");
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
        Requirements.Kvm();
        using var m = TestMachine.Start("i8042-reset");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Reboot, $"{exit}; {m.Describe()}");
    }

    [Fact]
    public void ResetControlRegisterIsAReboot()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("reset-cf9");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Reboot, $"{exit}; {m.Describe()}");
    }

    [Fact]
    public void AcpiS5IsAPowerOff()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("poweroff");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        Assert.Contains("S5", exit.Detail);
    }

    [Fact]
    public void PvPanicIsACrash()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("pvpanic");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Crash, $"{exit}; {m.Describe()}");
        Assert.Contains("pvpanic", exit.Detail);
        Assert.Equal(new byte[] { 0x03 }, m.Port.Written);
    }

    [Fact]
    public void TripleFaultIsACrash()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("triple-fault");
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.Crash, $"{exit}; {m.Describe()}");
        Assert.Contains("triple fault", exit.Detail);
    }

    [Fact]
    public void DirtyLogReportsExactlyThePagesTheGuestWrote()
    {
        Requirements.Kvm();
        using var m = TestMachine.Start("dirty", logDirtyPages: true);
        var exit = m.WaitForExit();
        Assert.True(exit.Reason == ShutdownReason.PowerOff, $"{exit}; {m.Describe()}");
        var region = m.Vm.Memory.Regions[0];
        var bits = m.Vm.GetAndClearDirtyPages(region);
        bool Dirty(int page) => (bits[page / 64] & (1UL << (page % 64))) != 0;
        Assert.True(Dirty(0x20) && Dirty(0x31) && Dirty(0x42), $"pages 0x20, 0x31, 0x42 should be dirty; bitmap {string.Join(',', bits.Select(b => b.ToString("x")))}");
        // (KVM may also report pages it touched itself, such as the code page, so only an
        // untouched page is checked for being clean.)
        Assert.False(Dirty(0x50), "page 0x50 was never written");
        var again = m.Vm.GetAndClearDirtyPages(region);
        Assert.All(again, w => Assert.Equal(0UL, w));
    }
}
