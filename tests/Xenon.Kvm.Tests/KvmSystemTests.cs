namespace Xenon.Kvm.Tests;

[Trait("Requires", "Kvm")]
public sealed class KvmSystemTests
{
    [Fact]
    public void IsAvailableExplainsAMissingDevice()
    {
        Assert.False(KvmSystem.IsAvailable(out string reason, "/nonexistent/kvm"));
        Assert.Contains("/nonexistent/kvm", reason);
    }

    [Fact]
    public void OpeningSomethingThatIsNotKvmNamesTheFailingIoctl()
    {
        var e = Assert.Throws<KvmException>(() => KvmSystem.Open("/dev/null"));
        Assert.Equal("KVM_GET_API_VERSION", e.Call);
        Assert.Equal(25, e.Errno); // ENOTTY: /dev/null has no ioctls
        Assert.Contains("KVM_GET_API_VERSION failed", e.Message);
    }

    [Fact]
    public void SystemReportsApiCapabilitiesAndCpuid()
    {
        if (!KvmSystem.IsAvailable(out string reason)) Assert.Skip($"no /dev/kvm: {reason}");
        using var kvm = KvmSystem.Open();
        Assert.Equal(KvmSystem.ExpectedApiVersion, kvm.ApiVersion);
        Assert.True(kvm.HasExtension(Abi.KvmCapability.UserMemory));
        var cpuid = kvm.GetSupportedCpuid();
        Assert.Contains(cpuid, e => e.Function == 0);
        Assert.Contains(cpuid, e => e.Function == 1);
    }
}
