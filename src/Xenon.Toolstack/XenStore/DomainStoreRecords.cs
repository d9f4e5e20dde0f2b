using System.Globalization;
using Xenon.Domain;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// Mirrors domains into XenStore: writes a domain's nodes in one transaction and introduces it, removes them and
/// releases it (firing @releaseDomain), and brings the store in line with the runtime directories (after xenstored
/// restarted, or when a domain process died without cleaning up).
/// </summary>
public sealed class DomainStoreRecords(XsClient client) : IDisposable
{
    public XsClient Client => client;

    /// <summary>Writes the domain's nodes (replacing any left from before) in one transaction, then INTRODUCE.
    /// The removals and writes go as one pipelined batch (<see cref="XsClient.Send"/>): a handful of round trips.</summary>
    public void Publish(DomainSpec spec, double startTime, string consoleSocket)
    {
        var entries = DomainStoreLayout.Domain(spec, startTime, consoleSocket);
        client.Transact(tx =>
        {
            var batch = new XsBatch();
            RemoveNodes(spec.DomId, tx, batch);
            client.Send(batch.Create(entries), tx);
        });
        if (!client.IsDomainIntroduced(spec.DomId)) client.Introduce(spec.DomId, 0, 0);
    }

    /// <summary>Removes the domain's nodes (domain path, its /vm entry, its backends) in one transaction, then RELEASE.</summary>
    public void Remove(int domId)
    {
        client.Transact(tx =>
        {
            var batch = new XsBatch();
            RemoveNodes(domId, tx, batch);
            client.Send(batch, tx);
        });
        client.Release(domId);
    }

    private void RemoveNodes(int domId, uint tx, XsBatch batch)
    {
        string dom = DomainStoreLayout.DomainPath(domId);
        if (client.Read($"{dom}/vm", tx) is { } vm && vm.StartsWith("/vm/", StringComparison.Ordinal) && vm.Length > 4) batch.Rm(vm);
        batch.Rm(dom);
        foreach (var be in DomainStoreLayout.BackendPaths(domId)) batch.Rm(be);
    }

    /// <summary>xl rename: the name in /local/domain/N/name and /vm/UUID/name.</summary>
    public void Rename(int domId, string newName)
    {
        string dom = DomainStoreLayout.DomainPath(domId);
        client.Transact(tx =>
        {
            if (client.Read($"{dom}/name", tx) is null) return;
            client.Write($"{dom}/name", newName, tx);
            if (client.Read($"{dom}/vm", tx) is { } vm && vm.StartsWith("/vm/", StringComparison.Ordinal)) client.Write($"{vm}/name", newName, tx);
        });
    }

    /// <summary>xl mem-set mirrors the new target into memory/target (KiB).</summary>
    public void SetMemoryTarget(int domId, ulong targetMiB)
    {
        string node = $"{DomainStoreLayout.DomainPath(domId)}/memory/target";
        client.Transact(tx =>
        {
            if (client.Read(node, tx) is not null) client.Write(node, (targetMiB * 1024).ToString(CultureInfo.InvariantCulture), tx);
        });
    }

    /// <summary>xl vcpu-set: cpu/I/availability is "online" for I below <paramref name="online"/> and "offline" up to
    /// maxvcpus (libxl's layout; only the nodes the domain has are written).</summary>
    public void SetVcpuAvailability(int domId, int online, int maxVcpus)
    {
        string dom = DomainStoreLayout.DomainPath(domId);
        client.Transact(tx =>
        {
            for (int i = 0; i < maxVcpus; i++)
            {
                string node = $"{dom}/cpu/{i.ToString(CultureInfo.InvariantCulture)}/availability";
                if (client.Read(node, tx) is not null) client.Write(node, i < online ? "online" : "offline", tx);
            }
        });
    }

    /// <summary>The CPU pools as libxl records them: /local/pool/ID/name for each pool of <paramref name="pools"/>, and
    /// no node for a pool that is gone.</summary>
    public void SyncPools(Scheduling.CpuPoolTable pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        client.Transact(tx =>
        {
            foreach (var pool in pools.Pools)
            {
                string node = $"/local/pool/{pool.Id.ToString(CultureInfo.InvariantCulture)}/name";
                if (client.Read(node, tx) != pool.Name) client.Write(node, pool.Name, tx);
            }
            foreach (var child in client.Directory("/local/pool", tx))
            {
                bool known = false;
                foreach (var pool in pools.Pools)
                    known |= child == pool.Id.ToString(CultureInfo.InvariantCulture);
                if (!known) client.Rm($"/local/pool/{child}", tx);
            }
        });
    }

    /// <summary>xl mem-max mirrors the new ceiling into memory/static-max (KiB).</summary>
    public void SetStaticMax(int domId, ulong maxMiB)
    {
        string node = $"{DomainStoreLayout.DomainPath(domId)}/memory/static-max";
        client.Transact(tx =>
        {
            if (client.Read(node, tx) is not null) client.Write(node, (maxMiB * 1024).ToString(CultureInfo.InvariantCulture), tx);
        });
    }

    /// <summary>
    /// Makes the store agree with the running domains: dom0 present; every live domain's nodes present (rebuilt
    /// from its spec if xenstored lost them) and introduced; nodes of domains that are gone removed and released.
    /// </summary>
    public void Reconcile(IReadOnlyList<LiveDomain> live, ulong hostMemoryKiB, int hostCpus) =>
        Reconcile(live, () => new HostInfo { TotalMemoryKiB = hostMemoryKiB, NrCpus = hostCpus });

    /// <summary><see cref="Reconcile(IReadOnlyList{LiveDomain}, ulong, int)"/> with the host's memory and CPU count
    /// asked of <paramref name="host"/> only when Domain-0's nodes are missing.</summary>
    public void Reconcile(IReadOnlyList<LiveDomain> live, Func<HostInfo> host)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(host);
        if (client.Read("/local/domain/0/name") is null)
        {
            var facts = host();
            client.Transact(tx => client.Send(new XsBatch().Create(DomainStoreLayout.Dom0(facts.TotalMemoryKiB, facts.NrCpus)), tx));
        }
        foreach (var d in live)
        {
            string dom = DomainStoreLayout.DomainPath(d.DomId);
            if (client.Read($"{dom}/vm") != DomainStoreLayout.VmPath(d.Spec.Uuid))
            {
                Publish(d.Spec with { Name = d.Name }, StartTimeOf(d), d.Directory.ConsoleSocket);
                continue;
            }
            if (client.Read($"{dom}/name") != d.Name) Rename(d.DomId, d.Name);
            if (!client.IsDomainIntroduced(d.DomId)) client.Introduce(d.DomId, 0, 0);
        }
        foreach (var child in client.Directory("/local/domain"))
        {
            if (!DomainRegistry.IsDomId(child, out int id) || id == 0) continue;
            bool alive = false;
            foreach (var d in live) alive |= d.DomId == id;
            if (!alive) Remove(id);
        }
    }

    /// <summary>When a domain's process started (its pid file was written), in seconds since the epoch.</summary>
    public static double StartTimeOf(LiveDomain d)
    {
        try
        {
            return (File.GetLastWriteTimeUtc(d.Directory.PidFile) - DateTime.UnixEpoch).TotalSeconds;
        }
        catch (IOException)
        {
            return Now();
        }
    }

    public static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    public void Dispose() => client.Dispose();
}
