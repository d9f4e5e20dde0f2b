using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

public sealed class SchedParamsTests
{
    [Theory]
    [InlineData(256, 1024, 100)]
    [InlineData(512, 2048, 200)]
    [InlineData(128, 512, 50)]
    [InlineData(1, 4, 1)]
    [InlineData(65535, 262140, 10000)]
    public void WeightBecomesSharesAndCpuWeight(int weight, long shares, long v2)
    {
        var p = new SchedParams(weight, 0);
        Assert.Equal(shares, p.V1Shares);
        Assert.Equal(v2, p.V2Weight);
    }

    [Fact]
    public void CapBecomesAQuotaPer100Ms()
    {
        Assert.Equal(-1, new SchedParams(256, 0).V1QuotaMicroseconds);
        Assert.Equal("max 100000", new SchedParams(256, 0).V2Max);
        Assert.Equal(50_000, new SchedParams(256, 50).V1QuotaMicroseconds);
        Assert.Equal("50000 100000", new SchedParams(256, 50).V2Max);
        Assert.Equal("200000 100000", new SchedParams(256, 200).V2Max);
    }

    [Theory]
    [InlineData(0, 0, 1, "Cpu weight out of range, valid values are within range from 1 to 65535")]
    [InlineData(65536, 0, 1, "Cpu weight out of range, valid values are within range from 1 to 65535")]
    [InlineData(256, -1, 1, "Cpu cap out of range, valid range is from 0 to 100 for specified number of vcpus")]
    [InlineData(256, 201, 2, "Cpu cap out of range, valid range is from 0 to 200 for specified number of vcpus")]
    public void ValidatesLikeLibxl(int weight, int cap, int vcpus, string message) =>
        Assert.Equal(message, SchedParams.Validate(weight, cap, vcpus));

    [Fact]
    public void AcceptsTheLimits()
    {
        Assert.Null(SchedParams.Validate(1, 0, 1));
        Assert.Null(SchedParams.Validate(65535, 200, 2));
    }
}
