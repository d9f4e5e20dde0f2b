using System.Globalization;
using Xenon.Domain;
using Xenon.Store.Wire;
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
        ArgumentNullException.ThrowIfNull(spec);
        Publish(spec, startTime, consoleSocket, null);
    }

    // known: what Reconcile already asked of the store for this domain (its /vm link and whether it is introduced),
    // so neither is asked again: the transaction is then start, two groups of writes, commit.
    private void Publish(DomainSpec spec, double startTime, string consoleSocket, (string? Vm, bool Introduced)? known)
    {
        var entries = DomainStoreLayout.Domain(spec, startTime, consoleSocket);
        bool first = true;
        client.Transact(tx =>
        {
            var batch = new XsBatch();
            // A retried transaction reads again: what was known may be what changed.
            string? vm = first && known is { } k ? k.Vm : client.Read($"{DomainStoreLayout.DomainPath(spec.DomId)}/vm", tx);
            first = false;
            RemoveNodes(spec.DomId, vm, batch);
            client.Send(batch.Create(entries), tx);
        });
        if (known is { Introduced: true }) return;
        if (known is not null || !client.IsDomainIntroduced(spec.DomId)) client.Introduce(spec.DomId, 0, 0);
    }

    /// <summary>Removes the domain's nodes (domain path, its /vm entry, its backends) in one transaction, then RELEASE.</summary>
    public void Remove(int domId)
    {
        client.Transact(tx =>
        {
            var batch = new XsBatch();
            RemoveNodes(domId, client.Read($"{DomainStoreLayout.DomainPath(domId)}/vm", tx), batch);
            client.Send(batch, tx);
        });
        client.Release(domId);
    }

    // vm: the domain's /local/domain/N/vm link as read, whose /vm/UUID directory goes with it.
    private static void RemoveNodes(int domId, string? vm, XsBatch batch)
    {
        string dom = DomainStoreLayout.DomainPath(domId);
        if (vm is not null && vm.StartsWith("/vm/", StringComparison.Ordinal) && vm.Length > 4) batch.Rm(vm);
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
        // Asked first in one round trip, outside a transaction: the store usually agrees already (every create
        // comes here), and then nothing is written. Otherwise the transaction asks again and makes it agree.
        var ask = new XsBatch();
        foreach (var pool in pools.Pools) ask.Read(PoolNameNode(pool.Id));
        ask.Directory("/local/pool");
        var answers = client.Query(ask);
        bool agrees = answers[^1].Error is null or XsError.ENOENT;
        for (int i = 0; i < pools.Pools.Count && agrees; i++) agrees = answers[i].Text == pools.Pools[i].Name;
        foreach (var child in answers[^1].Names)
        {
            bool known = false;
            foreach (var pool in pools.Pools)
                known |= child == pool.Id.ToString(CultureInfo.InvariantCulture);
            agrees &= known;
        }
        if (agrees) return;
        client.Transact(tx =>
        {
            foreach (var pool in pools.Pools)
            {
                string node = PoolNameNode(pool.Id);
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
        // Everything the reconciliation decides on, asked in one round trip (pipelined): Domain-0's name, each live
        // domain's /vm link, name and introduction, and which domains the store has.
        var ask = new XsBatch().Read("/local/domain/0/name").Directory("/local/domain");
        foreach (var d in live)
        {
            string dom = DomainStoreLayout.DomainPath(d.DomId);
            ask.Read($"{dom}/vm").Read($"{dom}/name").IsDomainIntroduced(d.DomId);
        }
        var answers = client.Query(ask);
        if (answers[0].Text is null)
        {
            var facts = host();
            client.Transact(tx => client.Send(new XsBatch().Create(DomainStoreLayout.Dom0(facts.TotalMemoryKiB, facts.NrCpus)), tx));
        }
        for (int i = 0; i < live.Count; i++)
        {
            var d = live[i];
            string? vm = answers[2 + 3 * i].Text;
            bool introduced = answers[4 + 3 * i].IsTrue;
            if (vm != DomainStoreLayout.VmPath(d.Spec.Uuid))
            {
                Publish(d.Spec with { Name = d.Name }, StartTimeOf(d), d.Directory.ConsoleSocket, (vm, introduced));
                continue;
            }
            if (answers[3 + 3 * i].Text != d.Name) Rename(d.DomId, d.Name);
            if (!introduced) client.Introduce(d.DomId, 0, 0);
        }
        var domains = answers[1].Error == XsError.E2BIG ? client.Directory("/local/domain") : answers[1].Names;
        foreach (var child in domains)
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

    private static string PoolNameNode(int id) => $"/local/pool/{id.ToString(CultureInfo.InvariantCulture)}/name";

    public static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    public void Dispose() => client.Dispose();
}
