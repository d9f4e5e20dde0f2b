using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Tests;

public sealed class DomIdAllocatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-domid-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private DomainSpec Reserve(string name, int? pid = null) =>
        DomIdAllocator.Reserve(name, id => new DomainSpec { Name = name, DomId = id, MemoryMiB = 64, Kernel = "/k" }, (dir, spec) =>
        {
            DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(spec));
            DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{pid ?? Environment.ProcessId}\n");
        }, _root);

    [Fact]
    public void IdsStartAtOneAndSkipRunningDomains()
    {
        Assert.Equal(1, Reserve("a").DomId);
        Assert.Equal(2, Reserve("b").DomId);
        Assert.Equal(3, Reserve("c").DomId);
    }

    [Fact]
    public void EndedDomainsFreeTheirIds()
    {
        Reserve("a");
        Reserve("b");
        File.WriteAllText(Path.Combine(_root, "domains", "a", "outcome"), "PowerOff 0 done\n");
        Assert.Equal(1, Reserve("c").DomId);
    }

    [Fact]
    public void DeadProcessesFreeTheirIdsAndNames()
    {
        Reserve("a", pid: int.MaxValue);      // no such process
        Assert.Equal(1, Reserve("b").DomId);
        Assert.Equal(2, Reserve("a").DomId);
    }

    [Fact]
    public void ANameHeldByARunningDomainIsRefused()
    {
        Reserve("a");
        var e = Assert.Throws<DomainNameInUseException>(() => Reserve("a"));
        Assert.Contains("'a' is already in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConcurrentReservationsGetDistinctIds()
    {
        var ids = new int[8];
        Parallel.For(0, ids.Length, i => ids[i] = Reserve($"d{i}").DomId);
        Array.Sort(ids);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], ids);
    }
}
