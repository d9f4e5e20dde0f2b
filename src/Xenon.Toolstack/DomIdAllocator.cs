using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack;

/// <summary>
/// Hands out domain ids as Xen does: the lowest id from 1 up that no running domain holds (0 is the host,
/// "Domain-0"). Running domains are the runtime directories owned by a live process; their spec.json says
/// which id each holds. Allocation and publishing the new domain's spec happen under one lock file, so two
/// concurrent creates never get the same id (or the same name).
/// </summary>
public static class DomIdAllocator
{
    /// <summary>Xen's DOMID_FIRST_RESERVED: ids from here up are special.</summary>
    public const int MaxDomId = 0x7fef;

    /// <summary>Under the lock: checks the name is free, picks an id, and has <paramref name="publish"/> write the
    /// domain's runtime directory with it (so the id is held before the lock is released).</summary>
    public static DomainSpec Reserve(string name, Func<int, DomainSpec> makeSpec, Action<DomainRuntimeDirectory, DomainSpec> publish,
        string? runtimeRoot = null)
    {
        string root = runtimeRoot ?? DomainRuntimeDirectory.Root;
        Directory.CreateDirectory(Path.Combine(root, "domains"));
        using var gate = Lock(Path.Combine(root, "domains.lock"));
        var self = new DomainRuntimeDirectory(Path.Combine(root, "domains", name));
        if (self.IsOwnedByLiveProcess())
            throw new DomainNameInUseException($"domain name '{name}' is already in use (see {self.Path})");
        var taken = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(root, "domains")))
        {
            // Our own name's directory was just found not live: not asked twice.
            if (dir == self.Path) continue;
            var d = new DomainRuntimeDirectory(dir);
            if (!d.IsOwnedByLiveProcess()) continue;
            try
            {
                taken.Add(DomainSpecJson.Deserialize(File.ReadAllText(d.SpecFile), d.SpecFile).DomId);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // A directory we cannot read holds no id we know of; the domain in it keeps running regardless.
            }
        }
        int id = 1;
        while (taken.Contains(id)) id++;
        if (id > MaxDomId) throw new InvalidOperationException($"no free domain id: {taken.Count} domains are running");
        if (Directory.Exists(self.Path)) Directory.Delete(self.Path, recursive: true);
        Directory.CreateDirectory(self.Path);
        var spec = makeSpec(id);
        publish(self, spec);
        return spec;
    }

    /// <summary>Holds the registry lock (the one <see cref="Reserve"/> takes) until disposed: rename changes names under it.</summary>
    public static IDisposable LockRegistry(string runtimeRoot)
    {
        Directory.CreateDirectory(Path.Combine(runtimeRoot, "domains"));
        return Lock(Path.Combine(runtimeRoot, "domains.lock"));
    }

    private static FileStream Lock(string path)
    {
        // FileShare.None takes an exclusive flock on Unix; another toolstack holding it makes the open fail at once.
        // Holders keep it for file writes only, but on a starved host (a spinning guest beside us on one CPU under
        // emulation) a holder's few steps took over 30 s: wait as long as a domain may take to start.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
    }
}

/// <summary>A running domain already has the name.</summary>
public sealed class DomainNameInUseException(string message) : Exception(message);
