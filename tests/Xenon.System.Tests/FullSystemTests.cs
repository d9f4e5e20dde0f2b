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
        Assert.True(r.ValueOf("NPROC") == "2", $"nproc in the guest is '{r.ValueOf("NPROC")}', expected 2. {r.Describe()}");
        Assert.True(r.ValueOf("ONLINE") == "0-1", $"online CPUs '{r.ValueOf("ONLINE")}', expected 0-1. {r.Describe()}");
    }

    [Fact]
    public void Guest_memory_matches_the_configured_size()
    {
        ScenarioResult r = host.Result("memory");
        r.AssertExit(0);
        string? line = r.Lines.FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        Assert.True(line is not null, $"no MemTotal line. {r.Describe()}");
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(parts.Length == 3 && parts[2] == "kB" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _),
            $"cannot parse '{line}'. {r.Describe()}");
        long kib = long.Parse(parts[1], CultureInfo.InvariantCulture);
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
}
