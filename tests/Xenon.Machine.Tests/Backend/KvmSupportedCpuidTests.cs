using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;

namespace Xenon.Machine.Tests.Backend;

public sealed class KvmSupportedCpuidTests
{
    private static CpuidEntry[] Reported() =>
    [
        new(0, 0, false, 0x10, 1, 2, 3),
        new(1, 0, false, 0x00a00f11, 0x00010800, 0x7ed8320b, 0x178bfbff),
        new(7, 0, true, 0, 0x219c95a9, 0, 0),
    ];

    [Fact]
    public void TscDeadlineIsAddedToLeaf1Only()
    {
        var reported = Reported();
        var result = KvmSupportedCpuid.WithInKernelFeatures(reported, tscDeadline: true);
        Assert.Equal(reported.Length, result.Length);
        Assert.Equal(reported[1].Ecx | KvmSupportedCpuid.Leaf1EcxTscDeadline, result[1].Ecx);
        Assert.Equal(reported[1] with { Ecx = result[1].Ecx }, result[1]);
        Assert.Equal(reported[0], result[0]);
        Assert.Equal(reported[2], result[2]);
    }

    [Fact]
    public void WithoutTheCapabilityNothingChanges()
    {
        var reported = Reported();
        Assert.Equal(reported, KvmSupportedCpuid.WithInKernelFeatures(reported, tscDeadline: false));
    }

    [Fact]
    public void TheReportedArrayIsNotModified()
    {
        var reported = Reported();
        uint before = reported[1].Ecx;
        _ = KvmSupportedCpuid.WithInKernelFeatures(reported, tscDeadline: true);
        Assert.Equal(before, reported[1].Ecx);
    }

    [Fact]
    public void NoLeaf1MeansNothingToAdd()
    {
        CpuidEntry[] reported = [new(0, 0, false, 0, 0, 0, 0)];
        Assert.Equal(reported, KvmSupportedCpuid.WithInKernelFeatures(reported, tscDeadline: true));
    }
}
