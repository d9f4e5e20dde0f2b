using Xenon.Devices.Legacy.Platform;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine;

namespace Xenon.Devices.Tests.Legacy;

public sealed class PlatformPortTests
{
    private readonly FakeMachineControl _control = new();

    private static byte ReadByte(Xenon.Machine.Bus.IPioDevice dev)
    {
        Span<byte> b = stackalloc byte[1];
        dev.Read(0, b);
        return b[0];
    }

    [Theory]
    [InlineData(0x06)]
    [InlineData(0x0e)]
    [InlineData(0x04)]
    public void ResetControlWithRstCpuReboots(byte value)
    {
        var rc = new ResetControl(_control);
        rc.Write(0, [value]);
        Assert.Equal([(ShutdownReason.Reboot, "reset control register")], _control.Requests);
        Assert.Equal(value & ~0x04, ReadByte(rc));
    }

    [Fact]
    public void ResetControlWithoutRstCpuOnlyLatches()
    {
        var rc = new ResetControl(_control);
        rc.Write(0, [0x02]);
        Assert.Empty(_control.Requests);
        Assert.Equal(0x02, ReadByte(rc));
        var copy = new ResetControl(new FakeMachineControl());
        copy.SetState(rc.GetState());
        Assert.Equal(0x02, ReadByte(copy));
    }

    [Fact]
    public void PvPanicAdvertisesItsEvents()
    {
        Assert.Equal(0x03, ReadByte(new PvPanic(_control)));
    }

    [Fact]
    public void PvPanicPanickedIsACrash()
    {
        new PvPanic(_control).Write(0, [0x01]);
        Assert.Equal([(ShutdownReason.Crash, "guest panic (pvpanic)")], _control.Requests);
    }

    [Fact]
    public void PvPanicCrashLoadedIsOnlyLogged()
    {
        var log = new List<string>();
        new PvPanic(_control, log.Add).Write(0, [0x02]);
        Assert.Empty(_control.Requests);
        Assert.Single(log);
    }

    [Fact]
    public void PostCodePortSwallowsWrites()
    {
        var post = new PostCodePort();
        post.Write(0, [0x42]);
        Assert.Equal(0x42, post.LastCode);
        Assert.Equal(0xff, ReadByte(post));
    }
}
