using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Tests.SaveRestore;

public sealed class RestoreWarmupTests
{
    [Fact]
    public void TheWarmUpAppliesTheParkedMachinesOwnStateThroughTheRestorePath()
    {
        using var domain = new FakeDomain { CanCaptureParked = true };
        Assert.True(RestoreWarmup.Warm(domain));
        Assert.Equal(["capture parked", "start parked"], domain.Events);
        // The machine got back what it had: the parked state's reset vector on every vCPU.
        Assert.NotNull(domain.StartedWith);
        Assert.All(domain.StartedWith!.Vcpus, v => Assert.Equal(0xfff0UL, v.Registers.Rip));
        // Every device took its own state and completed, as in a restore.
        Assert.Equal("extra-state"u8.ToArray(), domain.Extra.Restored);
        Assert.True(domain.Extra.Completed);
        Assert.False(domain.Events.Contains("resume vcpus"), "the warm-up must not run the guest");
    }

    [Fact]
    public void ATargetThatCannotCaptureItsStateIsLeftAlone()
    {
        using var domain = new FakeDomain();
        Assert.False(RestoreWarmup.Warm(domain));
        Assert.Empty(domain.Events);
        Assert.Null(domain.Extra.Restored);
    }

    [Fact]
    public void ADeviceThatRefusesItsStateFailsTheWarmUpLoudly()
    {
        using var domain = new FakeDomain { CanCaptureParked = true };
        domain.Extra.FailRestore = true;
        var e = Assert.Throws<DomainRestoreException>(() => RestoreWarmup.Warm(domain));
        Assert.Contains("the warm-up stream", e.Message);
    }
}
