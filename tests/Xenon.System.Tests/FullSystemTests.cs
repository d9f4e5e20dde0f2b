using System.Globalization;
using Xenon.System.Tests.Nested;

namespace Xenon.System.Tests;

/// <summary>The real Debian guest booted end to end by the xenon CLI (scenarios/*.sh), directly
/// on hardware KVM or inside the nested host; see docs/testing.md.</summary>
public sealed class FullSystemTests(FullSystemHost host)
{
    [Fact]
    public void Guest_reaches_init_and_powers_off_after_its_command()
    {
        ScenarioResult r = host.Result("boot-marker");
        r.AssertContains("XENON-INIT-OK");
        r.AssertContains("XENON-CMD-RC 0");
        r.AssertExit(0);
    }

    [Fact]
    public void Guest_sees_two_vcpus_online()
    {
        ScenarioResult r = host.Result("smp");
        r.AssertExit(0);
        r.AssertValue("NPROC", "2", "nproc in the guest");
        r.AssertValue("ONLINE", "0-1", "online CPUs");
    }

    [Fact]
    public void Guest_memory_matches_the_configured_size()
    {
        ScenarioResult r = host.Result("memory");
        r.AssertExit(0);
        long kib = MemTotalKiB(r);
        // 256 MiB less the kernel's image, page tables and reservations (QEMU q35: 218 MiB).
        Assert.True(kib is > 180 * 1024 and <= 256 * 1024, $"MemTotal {kib} kB is outside (180 MiB, 256 MiB]. {r.Describe()}");
    }

    [Fact]
    public void Command_output_comes_back_exactly()
    {
        ScenarioResult r = host.Result("command-output");
        r.AssertExit(0);
        int begin = IndexOfLine(r, "OUT-BEGIN");
        int end = IndexOfLine(r, "OUT-END");
        Assert.True(begin >= 0 && end > begin, $"markers OUT-BEGIN/OUT-END not found in order. {r.Describe()}");
        string[] got = r.Lines.Skip(begin + 1).Take(end - begin - 1).ToArray();
        string[] expected = ["line-1", "line-2", "line-3", "sum=42"];
        Assert.True(got.SequenceEqual(expected),
            $"between the markers: [{string.Join(" | ", got)}], expected [{string.Join(" | ", expected)}]. {r.Describe()}");
    }

    [Fact]
    public void Guest_poweroff_ends_the_domain_with_status_0()
    {
        ScenarioResult r = host.Result("poweroff");
        r.AssertContains("POWEROFF-NOW");
        r.AssertExit(0);
        Assert.False(r.Contains("XENON-CMD-RC"), $"the guest's init went on after poweroff -f. {r.Describe()}");
    }

    [Fact]
    public void Guest_reboot_with_on_reboot_destroy_ends_with_status_2()
    {
        ScenarioResult r = host.Result("reboot");
        r.AssertContains("REBOOT-NOW");
        r.AssertExit(2);
    }

    [Fact]
    public void Guest_panic_is_reported_through_pvpanic_as_status_3()
    {
        ScenarioResult r = host.Result("panic");
        r.AssertContains("PANIC-NOW");
        r.AssertExit(3);
    }

    [Fact]
    public void Qemu_boots_the_same_guest_on_the_same_kvm()
    {
        ScenarioResult r = host.Result("qemu-reference");
        r.AssertContains("XENON-INIT-OK");
        r.AssertContains("QEMU-REFERENCE nproc=1");
        r.AssertContains("XENON-CMD-RC 0");
        r.AssertExit(0);
    }

    private static int IndexOfLine(ScenarioResult r, string text)
    {
        for (int i = 0; i < r.Lines.Count; i++)
        {
            if (r.Lines[i].Trim() == text)
            {
                return i;
            }
        }
        return -1;
    }

    [Fact]
    public void Pvh_entry_boots_the_elf_vmlinux()
    {
        ScenarioResult r = host.Result("pvh");
        r.AssertContains("XENON-INIT-OK");
        r.AssertContains("XENON-CMD-RC 0");
        r.AssertExit(0);
    }

    [Fact]
    public void Typed_input_reaches_the_guest_shell_through_a_detached_domains_console()
    {
        ScenarioResult r = host.Result("console-input");
        r.AssertContains("XENON-INIT-OK");
        // the shell's echo of what we typed shows "$((6*7))"; only the command's output shows 42
        r.AssertContains("TYPED-42");
        r.AssertExit(0);
    }

    [Fact]
    public void Guest_uses_kvmclock_and_its_date_is_the_hosts()
    {
        ScenarioResult r = host.Result("clock");
        r.AssertExit(0);
        r.AssertValue("CLOCKSOURCE", "kvm-clock", "clocksource");
        long hostEpoch = long.Parse(r.ValueOf("HOST_EPOCH") ?? "0", CultureInfo.InvariantCulture);
        long guestEpoch = long.Parse(r.ValueOf("GUEST_EPOCH") ?? "0", CultureInfo.InvariantCulture);
        // the guest reads the RTC during boot, a few seconds after HOST_EPOCH was taken
        Assert.True(guestEpoch >= hostEpoch - 2 && guestEpoch <= hostEpoch + 120,
            $"guest date {guestEpoch} is not the host's ({hostEpoch}). {r.Describe()}");
    }

    [Fact]
    public void Maxvcpus_reserves_possible_cpus_beyond_the_online_ones()
    {
        ScenarioResult r = host.Result("maxvcpus");
        r.AssertExit(0);
        r.AssertValue("POSSIBLE", "0-3", "possible CPUs");
        r.AssertValue("ONLINE", "0-1", "online CPUs");
    }

    [Fact]
    public void Vcpu_set_hot_adds_and_removes_cpus_in_the_guest()
    {
        ScenarioResult r = host.Result("vcpu-set");
        r.AssertExit(0);
        r.AssertValue("VCPUSET-TOO-MANY-RC", "1", "vcpu-set above maxvcpus");
        r.AssertValue("VCPUSET-ZERO-RC", "1", "vcpu-set 0");
        r.AssertContains("however maxcpus is 4");
        r.AssertValue("OFFLINE-ROWS-BOOT", "2", "vcpu-list's offline rows at boot (vcpus=2, maxvcpus=4)");
        r.AssertValue("VCPUSET-UP-RC", "0", "vcpu-set 4");
        r.AssertValue("GUEST-PRESENT-UP", "0-3", "the guest's present CPUs after vcpu-set 4");
        r.AssertValue("GUEST-ONLINE-UP", "0-3", "the guest's online CPUs after onlining the hot-added ones");
        r.AssertValue("OFFLINE-ROWS-UP", "0", "vcpu-list's offline rows after vcpu-set 4");
        r.AssertValue("LIST-VCPUS-UP", "4", "xenon list's VCPUs after vcpu-set 4");
        r.AssertValue("VCPUSET-DOWN-RC", "0", "vcpu-set 2");
        r.AssertValue("GUEST-ONLINE-DOWN", "0-1", "the guest's online CPUs after vcpu-set 2");
        r.AssertValue("GUEST-PRESENT-DOWN", "0-1", "the guest's present CPUs after vcpu-set 2 (ejected)");
        r.AssertValue("OFFLINE-ROWS-DOWN", "2", "vcpu-list's offline rows after vcpu-set 2");
        r.AssertValue("LIST-VCPUS-DOWN", "2", "xenon list's VCPUs after vcpu-set 2");
        if (r.ValueOf("AVAIL-UP") != "<no-xenstore-utils>")
        {
            r.AssertValue("AVAIL-BOOT", "online,online,offline,offline", "cpu/I/availability at boot");
            r.AssertValue("AVAIL-AFTER-ERRORS", "online,online,offline,offline", "cpu/I/availability after refused vcpu-sets");
            r.AssertValue("AVAIL-UP", "online,online,online,online", "cpu/I/availability after vcpu-set 4");
            r.AssertValue("AVAIL-DOWN", "online,online,offline,offline", "cpu/I/availability after vcpu-set 2");
        }
    }

    [Fact]
    public void Memory_above_the_pci_hole_is_usable()
    {
        ScenarioResult r = host.Result("memory-4g");
        r.AssertExit(0);
        long kib = MemTotalKiB(r);
        Assert.True(kib is > 3800 * 1024 and <= 4096 * 1024, $"MemTotal {kib} kB, expected close to 4 GiB. {r.Describe()}");
        Assert.True(r.Lines.Any(l => l.Contains("100000000-", StringComparison.Ordinal) && l.Contains("System RAM", StringComparison.Ordinal)),
            $"no System RAM at 4 GiB in /proc/iomem. {r.Describe()}");
    }

    [Fact]
    public void Shutdown_presses_the_power_button_and_the_guest_powers_off()
    {
        ScenarioResult r = host.Result("power-button");
        r.AssertExit(0);
        r.AssertValue("SHUTDOWN-RC", "0", "xenon shutdown -w exit status");
        r.AssertValue("CONSOLE-RC", "0", "the console client's exit status");
        r.AssertValue("OUTCOME", "PowerOff 0", "outcome", prefix: true);
    }

    [Fact]
    public void Destroy_stops_a_detached_domain_and_its_process()
    {
        ScenarioResult r = host.Result("destroy");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create exit status");
        r.AssertValue("DESTROY-RC", "0", "destroy exit status");
        r.AssertValue("PROCESS", "gone", "domain process");
        r.AssertValue("OUTCOME", "Destroyed 4", "outcome", prefix: true);
        r.AssertValue("DESTROY-AGAIN-RC", "1", "destroying a domain that is gone must fail");
        r.AssertContains("invalid domain identifier");
    }

    [Fact]
    public void Virtio_block_disks_carry_a_file_system_the_host_reads_back()
    {
        ScenarioResult r = host.Result("disk");
        r.AssertExit(0);
        r.AssertContains("PCI 0000:00:01.0 0x1af4:0x1042");
        r.AssertContains("PCI 0000:00:02.0 0x1af4:0x1042");
        r.AssertValue("SERIAL-VDA", "xvda", "virtio-blk serial of the first disk");
        r.AssertValue("SERIAL-VDB", "xvdb", "virtio-blk serial of the second disk");
        r.AssertValue("RO-VDA", "0", "read-write disk");
        r.AssertValue("RO-VDB", "1", "access=ro / positional ro disk");
        r.AssertValue("SIZE-VDA", "131072", "sectors of a 64 MiB image");
        r.AssertValue("FS", "ok", "mke2fs + mount + write + sync in the guest");
        r.AssertValue("RO-WRITE", "refused", "a write to the read-only disk");
        r.AssertValue("HOST-READ", "disk-payload-4242", "the file read from the image on the host");
    }

    [Fact]
    public void Data_synced_in_the_guest_survives_kill_9_of_the_domain_process()
    {
        ScenarioResult r = host.Result("disk-kill9");
        r.AssertValue("SYNCED-SEEN", "1", "the guest reported its sync");
        r.AssertValue("HOST-READ", "survives-kill-9", "the synced file read from the image after SIGKILL");
    }

    [Fact]
    public void Virtio_net_on_a_bridge_carries_ping_and_bulk_tcp_both_ways()
    {
        ScenarioResult r = host.Result("net");
        r.AssertExit(0);
        r.AssertValue("TAP-MASTER", "xenbr0", "the bridge the tap vif1.0 joined while the domain ran");
        r.AssertValue("MAC", "00:16:3e:12:34:56", "guest MAC from mac=");
        r.AssertValue("PING-RC", "0", "ping from the guest to the bridge address");
        r.AssertValue("SEND-RC", "0", "guest nc sending 32 MiB");
        r.AssertValue("HOST-GOT-BYTES", "33554432", "bytes the host received from the guest");
        r.AssertValue("RECV-BYTES", "33554432", "bytes the guest received from the host");
        Assert.Equal(r.ValueOf("HOST-SENT-SHA"), r.ValueOf("RECV-SHA"));
        r.AssertValue("TAP-AFTER", "gone", "the tap after the domain ended");
    }

    [Fact]
    public void Balloon_target_moves_memory_to_the_host_and_back()
    {
        ScenarioResult r = host.Result("balloon");
        r.AssertExit(0);
        r.AssertValue("MEMSET-DOWN-RC", "0", "xenon mem-set balloon 64");
        r.AssertValue("MEMSET-UP-RC", "0", "xenon mem-set balloon 256m");
        r.AssertValue("DROP", "ok", "domain process RSS after the balloon took 192 MiB of page cache");
        r.AssertValue("REGROW", "ok", "domain process RSS after deflating and re-reading the disk");
        r.AssertValue("REPORTED", "ok", "domain process RSS after the guest freed its cache (free page reporting)");
        r.AssertValue("MEMSET-TOO-MUCH-RC", "1", "a target above maxmem");
        r.AssertContains("more than the domain's maximum memory (256 MiB)");
    }

    [Fact]
    public void A_channel_carries_a_line_each_way_and_virtio_rng_feeds_hwrng()
    {
        ScenarioResult r = host.Result("channel");
        r.AssertExit(0);
        r.AssertValue("XENON-RC", "0", "the guest powered off");
        Assert.NotEqual("none", r.ValueOf("CHANNEL-PORT"));
        r.AssertValue("GUEST-GOT", "host-to-guest-9", "the line the host client sent, read from the named port in the guest");
        r.AssertValue("HOST-GOT", "guest-to-host-7", "the line the guest wrote, read by the host client on the channel's socket");
        r.AssertValue("RNG-CURRENT", "virtio_rng", "the guest's hardware RNG", prefix: true);
        r.AssertValue("RNG-BYTES", "64", "bytes read from /dev/hwrng");
        r.AssertValue("SOCKET-AFTER", "gone", "the channel's socket after the domain ended");
    }

    /// <summary>The guest's /proc/meminfo MemTotal line, in KiB.</summary>
    private static long MemTotalKiB(ScenarioResult r)
    {
        string? line = r.Lines.FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        Assert.True(line is not null, $"no MemTotal line. {r.Describe()}");
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long kib = 0;
        Assert.True(parts.Length == 3 && parts[2] == "kB" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out kib),
            $"cannot parse '{line}'. {r.Describe()}");
        return kib;
    }

    [Fact]
    public void Xl_list_shows_a_detached_domain_in_xenstore_and_destroy_removes_it()
    {
        ScenarioResult r = host.Result("xl-list");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create exit status");
        r.AssertValue("XENSTORED", "started", "xenstored started on demand (pid file)");
        r.AssertContains("Name                                        ID   Mem VCPUs\tState\tTime(s)");
        r.AssertValue("LIST-DOM0", "Domain-0 0", "Domain-0 row");
        string id = r.ValueOf("DOMID");
        Assert.True(int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int domId) && domId > 0, $"domid '{id}'. {r.Describe()}");
        r.AssertValue("LIST-ROW", $"xl-one {id} 128 1", "xl list row: name, id, memory, vcpus");
        r.AssertValue("DESTROY-RC", "0", "destroy by domain id");
        r.AssertValue("GONE-ROW", "0", "a destroyed domain is not listed");
        if (r.ValueOf("XENSTORE-UTILS") == "present")
        {
            r.AssertValue("XS-NAME", "xl-one", "xenstore-read /local/domain/N/name");
            r.AssertValue("XS-DOM0", "Domain-0", "xenstore-read /local/domain/0/name");
            r.AssertValue("XS-TARGET", "131072", "memory/target in KiB");
            r.AssertValue("XS-CONSOLE-STATE", "4", "console backend state (XenbusStateConnected)");
            r.AssertValue("XS-GONE", "<missing>", "destroy removes the nodes");
        }
    }

    [Fact]
    public void Xenstore_survives_a_xenstored_restart_and_forgets_a_killed_domain()
    {
        ScenarioResult r = host.Result("xl-xenstore");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create exit status");
        string id = r.ValueOf("DOMID");
        r.AssertValue("XENSTORED-STOPPED", "yes", "xenstored removed its socket on SIGTERM");
        r.AssertValue("LIST-ROW", $"xl-x {id}", "the domain is listed after xenstored restarted");
        r.AssertValue("KILLED-ROW", "0", "a domain whose process was killed is not listed");
        if (r.ValueOf("XENSTORE-UTILS") == "present")
        {
            r.AssertValue("XS-NAME", "xl-x", "the domain's name in XenStore");
            r.AssertValue("XS-REBUILT", "xl-x", "nodes rebuilt after xenstored restarted");
            r.AssertValue("XS-KILLED", "<missing>", "a killed domain's nodes are removed");
        }
    }

    [Fact]
    public void Weights_share_a_pinned_cpu_two_to_one_and_cap_50_holds_a_spinning_guest_to_half_a_cpu()
    {
        ScenarioResult r = host.Result("sched");
        r.AssertExit(0);
        r.AssertValue("CREATE-A-RC", "0", "create spin-a (cpu_weight 256, cpus 0)");
        r.AssertValue("CREATE-B-RC", "0", "create spin-b (cpu_weight 512, cpus 0)");
        r.AssertValue("CREATE-C-RC", "0", "create spin-c (cap 50, cpus 0)");
        r.AssertValue("CREDIT-A", "256 0", "sched-credit row of spin-a: weight, cap");
        r.AssertValue("CREDIT-B", "512 0", "sched-credit row of spin-b");
        r.AssertValue("AFFINITY-A", "0", "cpus=\"0\" pinned spin-a's vCPU thread");
        r.AssertValue("CAP-C", "50000", "cap 50: the domain cgroup's CFS quota (v2 cpu.max \"50000 100000\", v1 cfs_quota_us)", prefix: true);
        Assert.True(double.TryParse(r.ValueOf("WEIGHT-RATIO"), NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio),
            $"no CPU time ratio. {r.Describe()}");
        Assert.True(ratio is >= 1.8 and <= 2.2, $"CPU time ratio of weights 512:256 on one CPU is {ratio}, expected 2 ± 10%. {r.Describe()}");
        Assert.True(double.TryParse(r.ValueOf("CAP-PERCENT"), NumberStyles.Float, CultureInfo.InvariantCulture, out double cap),
            $"no CPU percentage. {r.Describe()}");
        Assert.True(cap is >= 45 and <= 55, $"a spinning guest with cap 50 used {cap}% of a CPU, expected 50 ± 10%. {r.Describe()}");
    }

    [Fact]
    public void Save_ends_the_domain_and_restore_continues_the_guest_where_it_was()
    {
        ScenarioResult r = host.Result("save-restore");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create exit status");
        r.AssertValue("SAVE-KEEP-RC", "0", "save -c exit status");
        r.AssertValue("KEEP-RUNS", "yes", "the guest counts on after save -c");
        r.AssertValue("KEEP-FILE", "present", "save -c wrote its file");
        r.AssertValue("SAVE-RC", "0", "save exit status");
        r.AssertValue("TMP-LEFT", "no", "no FILE.tmp after a save");
        r.AssertValue("OUTCOME", "Saved 5", "outcome of a saved domain", prefix: true);
        r.AssertValue("SAVED-PROCESS", "gone", "the saved domain's process");
        r.AssertValue("SAVED-TAP", "gone", "the saved domain's tap");
        r.AssertValue("BAD-RC", "1", "restore of a corrupted file");
        r.AssertValue("BAD-NAMES-OFFSET", "yes", "the error names the offset");
        r.AssertValue("BAD-PROCESS", "gone", "no domain process is left after a refused restore");
        r.AssertValue("TRUNC-RC", "1", "restore of a file cut inside its memory image");
        r.AssertValue("TRUNC-SAYS", "truncated", "the error says the file is truncated");
        r.AssertValue("TRUNC-PROCESS", "gone", "no domain process is left after a refused restore");
        r.AssertValue("CORRUPT-OUTCOME", "Crash 3", "a corrupt memory image stops the restored domain as crashed", prefix: true);
        r.AssertValue("CORRUPT-NAMES-CHUNK", "yes", "the crash names the chunk");
        r.AssertValue("CORRUPT-PROCESS", "gone", "the crashed domain's process ends");
        r.AssertValue("RESTORE-RC", "0", "restore -p exit status");
        r.AssertValue("RESTORE-MAPPED", "yes", "the restore maps memory from the file");
        r.AssertValue("IMAGE-VERIFIED", "yes", "the background check of the mapped memory passes");
        r.AssertValue("PAUSED-TICKS", "0", "a domain restored with -p does not run");
        r.AssertValue("UNPAUSE-RC", "0", "unpause exit status");
        r.AssertValue("TICKS-CONTINUOUS", "yes", "the guest's count goes on by one across save and restore");
        r.AssertValue("COUNT-AFTER", "1", "the first tick after the restore follows the last one before the save");
        r.AssertValue("BOOT-IDS", "1", "one boot id: the guest did not reboot");
        // kvmclock resumes from the saved value: the guest's uptime moves by about a tick, not by the time it was gone.
        double step = double.Parse(r.ValueOf("UPTIME-STEP"), CultureInfo.InvariantCulture);
        double gone = double.Parse(r.ValueOf("GONE-MS"), CultureInfo.InvariantCulture) / 1000;
        Assert.True(step > 0 && step < gone / 2, $"uptime moved {step} s across a save and restore that took {gone} s. {r.Describe()}");
        r.AssertValue("FIRST-NET-AFTER", "ok", "ping in the first tick after the restore");
        r.AssertValue("TAP-MAC", "fe:ff:ff:ff:ff:ff", "the tap's own address (as Xen's vif-bridge sets it)");
        r.AssertValue("FIRST-NET-AFTER", "ok", "ping in the first tick after the restore", prefix: true);
        r.AssertValue("NET-AFTER", "ok", "ping after the restore", prefix: true);
        Assert.True(int.Parse(r.ValueOf("NC-AFTER"), CultureInfo.InvariantCulture) > 0, $"no TCP exchange after the restore. {r.Describe()}");
        r.AssertValue("CHUNKS-BAD", "0", "chunks read through the descriptor opened before the save");
        r.AssertValue("COUNTS-ON-DISK", "all", "every count written before and after the save is on the disk");
        r.AssertValue("SAVE2-RC", "0", "second save (for the prepared restore) exit status");
        r.AssertValue("PREPARE-RC", "0", "restore --prepare exit status");
        r.AssertValue("PREPARED-STATE", "prepared", "the prepared domain's state before the request");
        r.AssertValue("PREPARED-RESTORE-RC", "0", "restore into the prepared domain exit status");
        r.AssertValue("PREPARED-INTO", "yes", "the restore went into the prepared domain");
        r.AssertValue("PREPARED-UNPAUSE-RC", "0", "unpause of the domain restored paused into the prepared domain");
        r.AssertValue("PREPARED-COUNT-AFTER", "1", "the first tick after the prepared restore follows the last one before the second save");
        r.AssertValue("PREPARED-FIRST-NET-AFTER", "ok", "ping in the first tick after the prepared restore");
        r.AssertValue("DESTROY-RC", "0", "destroy of the restored domain");
    }

    [Fact]
    public void Migrate_moves_the_running_guest_between_hosts_and_a_refused_migration_leaves_it_running()
    {
        ScenarioResult r = host.Result("migrate");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create exit status");
        r.AssertValue("BAD-RC", "1", "migrate through a pipe that corrupts the stream");
        r.AssertValue("BAD-REFUSED", "yes", "the error says the destination refused the stream");
        r.AssertValue("BAD-SOURCE-RUNS", "yes", "the source counts on after the refused migration");
        r.AssertValue("BAD-DEST-PROCESS", "gone", "no domain process is left on the destination after a refused migration");
        r.AssertValue("MIGRATE-RC", "0", "migrate to tcp:ADDR:PORT exit status");
        r.AssertValue("RECEIVE-RC", "0", "migrate-receive --listen exit status");
        r.AssertValue("OUTCOME", "Migrated 6", "outcome of the migrated source domain", prefix: true);
        r.AssertValue("SOURCE-PROCESS", "gone", "the source's domain process after the migration");
        r.AssertValue("SOURCE-TAP", "gone", "the source's tap after the migration");
        r.AssertValue("DEST-LISTED", "yes", "xenon list on the destination shows the domain");
        r.AssertValue("UNPAUSE-RC", "0", "unpause of the domain migrated with -p");
        Assert.True(int.Parse(r.ValueOf("TICKS-AFTER"), CultureInfo.InvariantCulture) >= 6, $"the guest did not count on at the destination. {r.Describe()}");
        r.AssertValue("TICKS-CONTINUOUS", "yes", "the guest's count goes on by one across both migrations");
        r.AssertValue("BOOT-IDS", "1", "one boot id: the guest did not reboot");
        r.AssertValue("SEED-SUMS", "1", "the hash of 8 MiB of random data in guest memory is the same throughout");
        r.AssertValue("STREAM-GROWS", "yes", "the TCP stream from the guest goes on after the move");
        r.AssertValue("STREAM-CONTINUOUS", "yes", "the TCP stream's lines arrived once each, in order, across the moves");
        r.AssertValue("BACK-RC", "0", "migrate -s SSHCOMMAND back to the first host");
        r.AssertValue("BACK-UNPAUSE-RC", "0", "unpause after the move back");
        r.AssertValue("DESTROY-RC", "0", "destroy of the domain back on the first host");
    }

    [Fact]
    public void A_cpupool_of_cpu_1_confines_a_guest_and_cpupool_migrate_moves_it_back()
    {
        ScenarioResult r = host.Result("cpupool");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create of the spinning guest");
        if (r.ValueOf("CPUS") == "1") Assert.Skip($"the scenario's host has one CPU: no second CPU for a pool. {r.Describe()}");

        r.AssertValue("REMOVE-RC", "0", "cpupool-cpu-remove Pool-0 1");
        r.AssertValue("POOL-CREATE-RC", "0", "cpupool-create name=p1 cpus=1");
        r.AssertValue("POOL-LIST", "1", "cpupool-list -c: p1 holds CPU 1");
        r.AssertValue("ALLOWED-IN-POOL", "1", "the vCPU thread's Cpus_allowed_list in p1");
        r.AssertValue("RAN-ON-IN-POOL", "1", "the CPUs the vCPU thread was seen running on in p1");
        r.AssertValue("LIST-POOL", "p1", "list -c's Cpupool column");
        r.AssertValue("DESTROY-BUSY-RC", "1", "cpupool-destroy of a pool holding a domain");
        r.AssertValue("MIGRATE-RC", "0", "cpupool-migrate spin Pool-0");
        r.AssertValue("ALLOWED-MIGRATED", "0", "the vCPU thread's Cpus_allowed_list after the move to Pool-0");
        r.AssertValue("RAN-ON-MIGRATED", "0", "the CPUs the vCPU thread ran on after the move");
        r.AssertValue("DESTROY-RC", "0", "cpupool-destroy of the emptied pool");
        r.AssertValue("ADD-RC", "0", "cpupool-cpu-add Pool-0 1");
    }

    [Fact]
    public void Top_shows_a_spinning_guest_list_l_prints_libxl_json_and_a_restart_keeps_its_pin()
    {
        ScenarioResult r = host.Result("cpupool");
        r.AssertExit(0);
        r.AssertValue("CREATE-RC", "0", "create of the spinning guest");
        r.AssertValue("TOP-RC", "0", "top -b -i 2");
        r.AssertValue("TOP-HEADERS", "2", "one table header per batch iteration");
        Assert.True(double.TryParse(r.ValueOf("TOP-SPIN-CPU"), NumberStyles.Float, CultureInfo.InvariantCulture, out double share),
            $"no CPU(%) for the guest in top's second iteration. {r.Describe()}");
        Assert.True(share > 30, $"top shows the spinning guest at {share}% of a CPU. {r.Describe()}");
        r.AssertValue("LIST-L", "libxl", "list -l prints libxl's c_info and b_info");
        r.AssertValue("PIN-RC", "0", "vcpu-pin spin 0 PIN");
        r.AssertValue("REBOOT-RC", "0", "reboot (on_reboot restart)");
        r.AssertValue("NEW-THREAD", "yes", "the restart built a new vCPU thread");
        r.AssertValue("ALLOWED-AFTER-RESTART", r.ValueOf("EXPECTED-PIN"), "the new vCPU thread's Cpus_allowed_list: the pin again");
        r.AssertValue("DESTROY-DOMAIN-RC", "0", "destroy of the guest");
    }
}
