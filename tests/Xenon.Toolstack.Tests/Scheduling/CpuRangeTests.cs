using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

public sealed class CpuRangeTests
{
    [Theory]
    [InlineData("0", 4, "0")]
    [InlineData("1-3", 4, "1-3")]
    [InlineData("0,2,3", 4, "0,2-3")]
    [InlineData("all", 4, "0-3")]
    [InlineData("all,^1", 4, "0,2-3")]
    [InlineData("0-3,^1-2", 8, "0,3")]
    [InlineData("3,0,3", 4, "0,3")]
    [InlineData("nodes:0", 2, "0-1")]
    [InlineData("node:0,^0", 2, "1")]
    public void ParsesXlCpuLists(string text, int hostCpus, string expected)
    {
        var cpus = CpuRange.Parse(text, hostCpus, out string? error);
        Assert.Null(error);
        Assert.Equal(expected, CpuRange.Format(cpus!));
    }

    [Theory]
    [InlineData("", "Invalid pcpu range: .")]
    [InlineData("x", "Invalid pcpu range: x.")]
    [InlineData("3-1", "Invalid pcpu range: 3-1.")]
    [InlineData("1-", "Invalid pcpu range: 1-.")]
    [InlineData("-1", "Invalid pcpu range: -1.")]
    [InlineData("1,,2", "Invalid pcpu range: .")]
    [InlineData("0x1", "Invalid pcpu range: 0x1.")]
    [InlineData("^all", "Can't combine \"^\" and \"all\".")]
    [InlineData("nodes:1", "Invalid node range: nodes:1 (this host has one NUMA node, node 0).")]
    [InlineData("99999", "Invalid pcpu range: 99999 (CPU numbers go up to 1023).")]
    [InlineData("0-2147483647", "Invalid pcpu range: 0-2147483647 (CPU numbers go up to 1023).")]
    public void RefusesMalformedListsWithXlsMessages(string text, string message)
    {
        Assert.Null(CpuRange.Parse(text, 4, out string? error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void FormatsEmptyAndSingleRuns()
    {
        Assert.Equal("", CpuRange.Format([]));
        Assert.Equal("5", CpuRange.Format([5]));
        Assert.Equal("0-1,3,5-7", CpuRange.Format([0, 1, 3, 5, 6, 7]));
    }

    [Fact]
    public void NormaliseKeepsHostCpusAndRefusesNone()
    {
        Assert.Equal("1", DomainScheduling.Normalise("1-5", 2, out _));
        Assert.Null(DomainScheduling.Normalise("4-5", 2, out string? error));
        Assert.Contains("names no CPU of this host", error);
    }
}
