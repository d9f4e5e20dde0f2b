using Xenon.Machine.Backend;

namespace Xenon.Machine.Tests.Backend;

/// <summary>Which backend a domain gets: the host probe's rule (nested/have-hw-kvm.sh's) and accel's auto/kvm/soft.</summary>
public sealed class AccelSelectionTests
{
    private const string IntelFlags = "flags\t\t: fpu vme de pse tsc msr pae vmx ssse3";
    private const string AmdFlags = "flags\t\t: fpu vme svm sse2";
    private const string NoVirtFlags = "flags\t\t: fpu vme de pse hypervisor sse2";

    private static Func<string, bool> Modules(params string[] loaded) => m => loaded.Contains(m);

    [Fact]
    public void NoDevKvmIsNotUsable()
    {
        var h = HostVirtualization.Evaluate(false, "/dev/kvm does not exist", IntelFlags, Modules("kvm_intel"));
        Assert.False(h.KvmUsable);
        Assert.False(h.HardwareAssisted);
        Assert.Equal("/dev/kvm does not exist", h.Description);
    }

    [Theory]
    [InlineData(IntelFlags, "kvm_intel")]
    [InlineData(AmdFlags, "kvm_amd")]
    public void TheVendorModuleMeansHardware(string flags, string module)
    {
        var h = HostVirtualization.Evaluate(true, "ok", flags, Modules(module, "kvm"));
        Assert.True(h.HardwareAssisted);
        Assert.Contains(module, h.Description, StringComparison.Ordinal);
        // kvm_pvm loaded beside the vendor module does not change that (have-hw-kvm.sh's rule).
        Assert.True(HostVirtualization.Evaluate(true, "ok", flags, Modules(module, "kvm_pvm")).HardwareAssisted);
    }

    [Fact]
    public void KvmPvmIsUsableButNotHardware()
    {
        var h = HostVirtualization.Evaluate(true, "ok", NoVirtFlags, Modules("kvm", "kvm_pvm"));
        Assert.True(h.KvmUsable);
        Assert.False(h.HardwareAssisted);
        Assert.Contains("kvm_pvm", h.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NoVirtFlags, "neither vmx nor svm")]
    [InlineData(IntelFlags, "kvm_intel is not loaded")]
    [InlineData("", "neither vmx nor svm")]
    [InlineData("flags : fpu vmxnet svmx", "neither vmx nor svm")]
    public void OtherwiseItSaysWhatIsMissing(string flags, string expected)
    {
        var h = HostVirtualization.Evaluate(true, "ok", flags, Modules("kvm"));
        Assert.False(h.HardwareAssisted);
        Assert.Contains(expected, h.Description, StringComparison.Ordinal);
    }

    private static readonly HostVirtualization Hardware = new(true, true, "/dev/kvm is hardware-assisted (kvm_intel)");
    private static readonly HostVirtualization Pvm = new(true, false, "/dev/kvm is kvm_pvm, without hardware virtualisation");
    private static readonly HostVirtualization None = new(false, false, "/dev/kvm does not exist");

    [Fact]
    public void AutoTakesKvmOnlyWithHardware()
    {
        Assert.Equal(AccelMode.Kvm, AccelSelection.Resolve(AccelMode.Auto, () => Hardware).Backend);
        var pvm = AccelSelection.Resolve(AccelMode.Auto, () => Pvm);
        Assert.Equal(AccelMode.Soft, pvm.Backend);
        Assert.Contains("kvm_pvm", pvm.Reason, StringComparison.Ordinal);
        var none = AccelSelection.Resolve(AccelMode.Auto, () => None);
        Assert.Equal(AccelMode.Soft, none.Backend);
        Assert.Contains("/dev/kvm does not exist", none.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SoftNeverLooksAtTheHost()
    {
        var s = AccelSelection.Resolve(AccelMode.Soft, () => throw new InvalidOperationException("probed"));
        Assert.Equal(AccelMode.Soft, s.Backend);
    }

    [Fact]
    public void ForcedKvmTakesAnyUsableKvmAndRefusesNone()
    {
        Assert.Equal(AccelMode.Kvm, AccelSelection.Resolve(AccelMode.Kvm, () => Hardware).Backend);
        var pvm = AccelSelection.Resolve(AccelMode.Kvm, () => Pvm);
        Assert.Equal(AccelMode.Kvm, pvm.Backend);
        Assert.Contains("slowly", pvm.Reason, StringComparison.Ordinal);
        var e = Assert.Throws<AccelUnavailableException>(() => AccelSelection.Resolve(AccelMode.Kvm, () => None));
        Assert.Contains("accel = \"kvm\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("/dev/kvm does not exist", e.Message, StringComparison.Ordinal);
    }
}
