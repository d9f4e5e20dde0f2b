using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

public sealed class DomainPolicyTests
{
    [Fact]
    public void RoundTrips()
    {
        var p = new DomainPolicy { Weight = 512, Cap = 50, HardAffinity = ["0", null, "1-3"], MaxMemoryMiB = 200 };
        var back = DomainPolicy.Parse(p.ToJson());
        Assert.Equal(512, back.Weight);
        Assert.Equal(50, back.Cap);
        Assert.Equal(["0", null, "1-3"], back.HardAffinity);
        Assert.Equal(200UL, back.MaxMemoryMiB);
        Assert.Equal("1-3", back.AffinityOf(2));
        Assert.Null(back.AffinityOf(1));
        Assert.Null(back.AffinityOf(9));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"weight\":0,\"cap\":-5,\"hard_affinity\":7,\"max_memory_mib\":\"x\"}")]
    [InlineData("{\"weight\":99999999999}")]
    public void MalformedFilesGiveTheDefaults(string json)
    {
        var p = DomainPolicy.Parse(json);
        Assert.Equal(256, p.Weight);
        Assert.Equal(0, p.Cap);
        Assert.Empty(p.HardAffinity);
        Assert.Null(p.MaxMemoryMiB);
    }

    [Fact]
    public void WithAffinityGrowsTheList()
    {
        var p = new DomainPolicy().WithAffinity(2, "1");
        Assert.Equal([null, null, "1"], p.HardAffinity);
        Assert.Equal(["0", null, "1"], p.WithAffinity(0, "0").HardAffinity);
    }
}
