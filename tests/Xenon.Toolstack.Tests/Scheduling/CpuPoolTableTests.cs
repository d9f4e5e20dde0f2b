using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

/// <summary>The cpupool state and Xen's rules for it: Pool-0 first with every CPU, a CPU in at most one pool, a
/// pool with domains kept, names unique; the file round-trips and malformed content cannot break it.</summary>
public sealed class CpuPoolTableTests
{
    [Fact]
    public void InitiallyPool0HoldsEveryCpu()
    {
        var t = CpuPoolTable.Initial(4);
        var p = Assert.Single(t.Pools);
        Assert.Equal((0, "Pool-0", "credit"), (p.Id, p.Name, p.Scheduler));
        Assert.Equal([0, 1, 2, 3], p.Cpus);
        Assert.Empty(t.FreeCpus(4));
    }

    [Fact]
    public void CreateTakesOnlyFreeCpusAndUniqueNames()
    {
        var t = CpuPoolTable.Initial(4);
        Assert.Equal("cpu 1 illegal or not free", t.Create("p1", "credit", [1], 4, out _));
        Assert.Empty(t.RemoveCpus(t.Pool0, [1, 2], domains: 1));
        Assert.Equal([1, 2], t.FreeCpus(4));
        Assert.Null(t.Create("p1", "credit2", [2, 1], 4, out var p1));
        Assert.Equal((1, "credit2"), (p1!.Id, p1.Scheduler));
        Assert.Equal([1, 2], p1.Cpus);
        Assert.Equal("Pool name \"p1\" already exists", t.Create("p1", "credit", [], 4, out _));
        Assert.Equal("cpu 7 illegal or not free", t.Create("p2", "credit", [7], 4, out _));
        Assert.Contains("is a number", t.Create("42", "credit", [], 4, out _));
        Assert.Null(t.Create("empty", "credit", [], 4, out var empty));
        Assert.Equal(2, empty!.Id);
        Assert.Same(t.Find("p1"), t.Find("1"));
        Assert.Null(t.Find("nope"));
        Assert.Equal(t.Pool0, t.OwnerOf(0));
        Assert.Equal("p1", t.OwnerOf(2)!.Name);
    }

    [Fact]
    public void AddAndRemoveFollowXensRules()
    {
        var t = CpuPoolTable.Initial(4);
        t.RemoveCpus(t.Pool0, [3], 1);
        t.Create("p1", "credit", [], 4, out var p1);
        var errors = t.AddCpus(p1!, [0, 3, 9], 4);
        Assert.Equal(2, errors.Count);
        Assert.Contains("Error moving cpu 0 to cpupool: Device or resource busy (it is in Pool-0)", errors);
        Assert.Contains("cpu 9", errors[1]);
        Assert.Equal([3], t.Find("p1")!.Cpus);
        // The last CPU of a pool with domains stays; Pool-0 always has Domain-0.
        Assert.Single(t.RemoveCpus(t.Find("p1")!, [3], domains: 1));
        Assert.Empty(t.RemoveCpus(t.Find("p1")!, [3], domains: 0));
        Assert.Single(t.RemoveCpus(t.Pool0, [3], 1));
        Assert.Empty(t.RemoveCpus(t.Pool0, [1, 2], 1));
        Assert.Contains("Device or resource busy", Assert.Single(t.RemoveCpus(t.Pool0, [0], 1)));
    }

    [Fact]
    public void DestroyAndRename()
    {
        var t = CpuPoolTable.Initial(2);
        t.RemoveCpus(t.Pool0, [1], 1);
        t.Create("p1", "credit", [1], 2, out var p1);
        Assert.NotNull(t.Destroy(t.Pool0, 0));
        Assert.NotNull(t.Destroy(p1!, 1));
        Assert.Equal("Pool name \"Pool-0\" already exists", t.Rename(p1!, "Pool-0"));
        Assert.Null(t.Rename(p1!, "fast"));
        Assert.Equal(1, t.Find("fast")!.Id);
        Assert.Null(t.Destroy(t.Find("fast")!, 0));
        Assert.Equal([1], t.FreeCpus(2));
        Assert.Null(t.Rename(t.Pool0, "Pool-node0"));
        Assert.Equal("Pool-node0", t.Pool0.Name);
    }

    [Fact]
    public void FileRoundTripsAndSurvivesANewLoad()
    {
        string root = Directory.CreateTempSubdirectory("xenon-pools-").FullName;
        try
        {
            var t = CpuPoolTable.Load(root, 4);
            t.RemoveCpus(t.Pool0, [2, 3], 1);
            t.Create("p1", "credit2", [3], 4, out _);
            t.Save(root);
            var again = CpuPoolTable.Load(root, 4);
            Assert.Equal(t.ToJson(), again.ToJson());
            Assert.Equal([2], again.FreeCpus(4));
            // A host with fewer CPUs now: the missing ones are dropped.
            Assert.Empty(CpuPoolTable.Load(root, 2).Find("p1")!.Cpus);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"pools\":7}")]
    [InlineData("{\"pools\":[7,\"x\",{\"id\":-1,\"name\":\"a\"},{\"id\":1},{\"id\":2,\"name\":\"\"}]}")]
    public void MalformedFilesGiveTheInitialPools(string json)
    {
        var t = CpuPoolTable.Parse(json, 2);
        Assert.Equal(CpuPoolTable.Initial(2).ToJson(), t.ToJson());
    }

    [Fact]
    public void ACpuClaimedTwiceStaysWithTheFirstPoolAndAMissingPool0GetsTheRest()
    {
        var t = CpuPoolTable.Parse(
            "{\"pools\":[{\"id\":3,\"name\":\"a\",\"sched\":\"bogus\",\"cpus\":\"0-1\"},{\"id\":4,\"name\":\"b\",\"cpus\":\"1-2\"},{\"id\":5,\"name\":\"a\",\"cpus\":\"\"}]}", 4);
        Assert.Equal(["Pool-0", "a", "b"], t.Pools.Select(p => p.Name));
        Assert.Equal([3], t.Pool0.Cpus);
        Assert.Equal("credit", t.Find("a")!.Scheduler);
        Assert.Equal([2], t.Find("b")!.Cpus);
        Assert.Equal(t.Pool0, t.PoolOf(99));
    }
}
