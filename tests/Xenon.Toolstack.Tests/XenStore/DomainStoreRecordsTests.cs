using Xenon.Store.Tree;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Tests.XenStore;

/// <summary>Domain records in a real xenstored: libxl's layout, one transaction, removal, @releaseDomain, rebuilding.</summary>
public sealed class DomainStoreRecordsTests : IDisposable
{
    private readonly ToolstackFixture _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public void LayoutHasLibxlsNodesAndPermissions()
    {
        var spec = ToolstackFixture.Spec("web", 4, vcpus: 2, maxVcpus: 3);
        var entries = DomainStoreLayout.Domain(spec, 1700000000.5, "/run/x/console.sock").ToDictionary(e => e.Path);
        string dom = "/local/domain/4", vm = $"/vm/{spec.Uuid:D}";
        Assert.Equal("web", entries[$"{dom}/name"].Value);
        Assert.Equal("4", entries[$"{dom}/domid"].Value);
        Assert.Equal(vm, entries[$"{dom}/vm"].Value);
        Assert.Equal("262144", entries[$"{dom}/memory/static-max"].Value);
        Assert.Equal("131072", entries[$"{dom}/memory/target"].Value);
        Assert.Equal("online", entries[$"{dom}/cpu/1/availability"].Value);
        Assert.Equal("offline", entries[$"{dom}/cpu/2/availability"].Value);
        Assert.Equal("1700000000.50", entries[$"{vm}/start_time"].Value);
        Assert.Equal(spec.Uuid.ToString("D"), entries[$"{vm}/uuid"].Value);
        // The guest owns its control nodes (it would write feature-* and read shutdown); dom0 owns the rest.
        Assert.Equal([new XsPerm(4, XsPermAccess.None)], entries[$"{dom}/control/shutdown"].Perms!);
        Assert.True(entries.ContainsKey($"{dom}/control/feature-poweroff"));
        Assert.True(entries.ContainsKey($"{dom}/control/feature-reboot"));
        Assert.Equal([new XsPerm(0, XsPermAccess.None), new XsPerm(4, XsPermAccess.Read)], entries[dom].Perms!);
        // xvda is Xen's device number 51712, xvdb 51728; backends are connected (XenbusStateConnected = 4).
        Assert.Equal("4", entries["/local/domain/0/backend/vbd/4/51712/state"].Value);
        Assert.Equal("w", entries["/local/domain/0/backend/vbd/4/51712/mode"].Value);
        Assert.Equal("r", entries["/local/domain/0/backend/vbd/4/51728/mode"].Value);
        Assert.Equal("/local/domain/0/backend/vbd/4/51712", entries[$"{dom}/device/vbd/51712/backend"].Value);
        Assert.Equal("00:16:3e:01:02:03", entries["/local/domain/0/backend/vif/4/0/mac"].Value);
        Assert.Equal("4", entries["/local/domain/0/backend/vif/4/0/state"].Value);
        Assert.Equal("4", entries["/local/domain/0/backend/console/4/0/state"].Value);
        Assert.Equal("/run/x/console.sock", entries[$"{dom}/console/tty"].Value);
    }

    [Fact]
    public void PublishWritesEverythingAndIntroducesRemoveTakesItAllAndReleases()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        var spec = ToolstackFixture.Spec("web", 4);
        using var watcher = _world.Client();
        watcher.Watch("@releaseDomain", "r");
        Assert.NotNull(watcher.WaitForWatchEvent(TimeSpan.FromSeconds(5)));

        records.Publish(spec, 100, "/sock");
        foreach (var e in DomainStoreLayout.Domain(spec, 100, "/sock"))
        {
            Assert.Equal(e.Value ?? "", client.Read(e.Path));
            if (e.Perms is not null) Assert.Equal(e.Perms, client.GetPerms(e.Path));
        }
        Assert.True(client.IsDomainIntroduced(4));

        records.Remove(4);
        Assert.Null(client.Read("/local/domain/4"));
        Assert.Null(client.Read($"/vm/{spec.Uuid:D}"));
        Assert.Empty(client.Directory("/local/domain/0/backend/vbd/4"));
        Assert.Empty(client.Directory("/local/domain/0/backend/vif/4"));
        Assert.False(client.IsDomainIntroduced(4));
        Assert.Equal(new XsWatchEvent("@releaseDomain", "r"), watcher.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void PublishIsOneTransaction()
    {
        // A watcher sees the domain's nodes only once they all exist: its first event after the initial one
        // already finds the last node of the layout.
        using var client = _world.Client();
        using var watcher = _world.Client();
        watcher.Watch("/local/domain/5", "w");
        watcher.WaitForWatchEvent(TimeSpan.FromSeconds(5));
        var spec = ToolstackFixture.Spec("db", 5);
        new DomainStoreRecords(client).Publish(spec, 1, "/s");
        Assert.NotNull(watcher.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        Assert.Equal("4", watcher.Read("/local/domain/5/device/vif/0/state"));
    }

    [Fact]
    public void ReconcileWritesDom0AndLiveDomainsAndRemovesDeadOnes()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        var dead = ToolstackFixture.Spec("gone", 9);
        records.Publish(dead, 1, "/s");
        var live = ToolstackFixture.Spec("alive", 2);
        _world.AddDomain(live);

        records.Reconcile(new DomainRegistry(_world.Context).List(), 4096 * 1024, 4);

        Assert.Equal("Domain-0", client.Read("/local/domain/0/name"));
        Assert.Equal("0", client.Read("/local/domain/0/domid"));
        Assert.Equal("online", client.Read("/local/domain/0/cpu/3/availability"));
        Assert.Equal("alive", client.Read("/local/domain/2/name"));
        Assert.True(client.IsDomainIntroduced(2));
        Assert.Null(client.Read("/local/domain/9"));
        Assert.Null(client.Read($"/vm/{dead.Uuid:D}"));
    }

    [Fact]
    public void ReconcileAsksForTheHostsFactsOnlyWhenDom0IsMissing()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        int asked = 0;
        HostInfo Host() { asked++; return new HostInfo { TotalMemoryKiB = 2048 * 1024, NrCpus = 2 }; }
        records.Reconcile([], Host);
        Assert.Equal(1, asked);
        Assert.Equal("2097152", client.Read("/local/domain/0/memory/static-max"));
        Assert.Equal("online", client.Read("/local/domain/0/cpu/1/availability"));
        records.Reconcile([], Host);
        Assert.Equal(1, asked);
    }

    [Fact]
    public void ReconcileIntroducesALiveDomainXenstoredForgotWithoutRewritingIt()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        var spec = ToolstackFixture.Spec("kept", 4);
        _world.AddDomain(spec);
        records.Reconcile(new DomainRegistry(_world.Context).List(), 4096 * 1024, 4);
        client.Write("/local/domain/4/marker", "still here");
        Assert.True(client.Release(4));

        records.Reconcile(new DomainRegistry(_world.Context).List(), 4096 * 1024, 4);

        Assert.True(client.IsDomainIntroduced(4));
        Assert.Equal("still here", client.Read("/local/domain/4/marker"));
    }

    [Fact]
    public void ReconcileRepublishesALiveDomainWhoseVmLinkIsAnotherDomainsAndDropsTheOldVm()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        var old = ToolstackFixture.Spec("before", 6);
        records.Publish(old, 1, "/s");
        var spec = ToolstackFixture.Spec("after", 6);
        _world.AddDomain(spec);

        records.Reconcile(new DomainRegistry(_world.Context).List(), 4096 * 1024, 4);

        Assert.Equal($"/vm/{spec.Uuid:D}", client.Read("/local/domain/6/vm"));
        Assert.Equal("after", client.Read("/local/domain/6/name"));
        Assert.Null(client.Read($"/vm/{old.Uuid:D}"));
        Assert.True(client.IsDomainIntroduced(6));
    }

    [Fact]
    public void SyncPoolsAddsMissingPoolsRemovesStrayOnesAndLeavesAnAgreeingStoreAlone()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        client.Write("/local/pool/7/name", "stray");
        var pools = Xenon.Toolstack.Scheduling.CpuPoolTable.Initial(4);

        records.SyncPools(pools);
        Assert.Equal(Xenon.Toolstack.Scheduling.CpuPool.Pool0Name, client.Read("/local/pool/0/name"));
        Assert.Null(client.Read("/local/pool/7"));

        // Agreeing: nothing is written (a watch on /local/pool fires once when set, and not again).
        using var watcher = _world.Client();
        watcher.Watch("/local/pool", "p");
        Assert.NotNull(watcher.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        records.SyncPools(pools);
        Assert.Null(watcher.WaitForWatchEvent(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public void PublishReplacesWhatAnEarlierDomainWithTheIdLeft()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        var old = ToolstackFixture.Spec("old", 7);
        records.Publish(old, 1, "/s");
        client.Write("/local/domain/7/stale", "x");
        var spec = ToolstackFixture.Spec("new", 7);
        records.Publish(spec, 2, "/s");
        Assert.Null(client.Read("/local/domain/7/stale"));
        Assert.Null(client.Read($"/vm/{old.Uuid:D}"));
        Assert.Equal("new", client.Read("/local/domain/7/name"));
        Assert.Equal("new", client.Read($"/vm/{spec.Uuid:D}/name"));
    }

    [Fact]
    public void ARestartedXenstoredGetsRunningDomainsBack()
    {
        var spec = ToolstackFixture.Spec("survivor", 3);
        _world.AddDomain(spec);
        using (var first = XenStoreLauncher.Open(_world.Context, TextWriter.Null)) Assert.NotNull(first);
        _world.StopStore();
        _world.StartStore(); // empty store
        using (var c = _world.Client()) Assert.Null(c.Read("/local/domain/3/name"));

        using var records = XenStoreLauncher.Open(_world.Context, TextWriter.Null);
        Assert.NotNull(records);
        Assert.Equal("survivor", records.Client.Read("/local/domain/3/name"));
        Assert.Equal($"/vm/{spec.Uuid:D}", records.Client.Read("/local/domain/3/vm"));
        Assert.True(records.Client.IsDomainIntroduced(3));
    }

    [Fact]
    public void RenameAndMemoryTargetFollow()
    {
        using var client = _world.Client();
        var records = new DomainStoreRecords(client);
        var spec = ToolstackFixture.Spec("old", 6);
        records.Publish(spec, 1, "/s");
        records.Rename(6, "new");
        records.SetMemoryTarget(6, 96);
        Assert.Equal("new", client.Read("/local/domain/6/name"));
        Assert.Equal("new", client.Read($"/vm/{spec.Uuid:D}/name"));
        Assert.Equal("98304", client.Read("/local/domain/6/memory/target"));
        records.SetMemoryTarget(42, 96); // no such domain: nothing is created
        Assert.Null(client.Read("/local/domain/42"));
    }

    [Fact]
    public void XenstoreLsReadsWhatWeWrite()
    {
        if (!File.Exists("/usr/bin/xenstore-ls")) Assert.Skip("/usr/bin/xenstore-ls is missing: install Debian's xenstore-utils (scripts/install-deps.sh)");
        using var client = _world.Client();
        var spec = ToolstackFixture.Spec("lsme", 8);
        new DomainStoreRecords(client).Publish(spec, 1, "/s");
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/xenstore-ls", ["-f", "/local/domain/8"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["XENSTORED_PATH"] = _world.Context.XenStoreSocket;
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("/local/domain/8/name = \"lsme\"", output);
        Assert.Contains("/local/domain/8/device/vbd/51712/state = \"4\"", output);
    }
}
