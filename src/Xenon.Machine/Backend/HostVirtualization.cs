using Xenon.Kvm;

namespace Xenon.Machine.Backend;

/// <summary>
/// What this host offers a VMM: whether /dev/kvm opens, and whether it is hardware-assisted (VT-x/AMD-V through
/// kvm_intel/kvm_amd) or kvm_pvm, which runs guests without VT-x/AMD-V and emulates a stock kernel's privileged code
/// one instruction at a time (NOTES-platform.md). The same rule as nested/have-hw-kvm.sh.
/// </summary>
public sealed record HostVirtualization(bool KvmUsable, bool HardwareAssisted, string Description)
{
    /// <summary>Looks at this host: /dev/kvm, the CPU flags in /proc/cpuinfo, the loaded modules in /sys/module.</summary>
    public static HostVirtualization Probe()
    {
        bool opens = KvmSystem.IsAvailable(out string kvmReason);
        return Evaluate(opens, kvmReason, ReadCpuFlags(), module => Directory.Exists($"/sys/module/{module}"));
    }

    /// <summary>The decision from the facts (kept apart from reading them, for tests).</summary>
    /// <param name="kvmOpens">/dev/kvm opened and speaks the expected API.</param>
    /// <param name="kvmReason">Why not, or what it is (<see cref="KvmSystem.IsAvailable"/>).</param>
    /// <param name="cpuFlags">The <c>flags</c> line of /proc/cpuinfo ("" if unreadable).</param>
    /// <param name="moduleLoaded">Whether /sys/module lists a module (built-in ones with parameters appear there too).</param>
    public static HostVirtualization Evaluate(bool kvmOpens, string kvmReason, string cpuFlags, Func<string, bool> moduleLoaded)
    {
        ArgumentNullException.ThrowIfNull(moduleLoaded);
        if (!kvmOpens) return new(false, false, kvmReason);
        string vendor = HasFlag(cpuFlags, "vmx") ? "intel" : HasFlag(cpuFlags, "svm") ? "amd" : "";
        // kvm_pvm may be loaded beside kvm_intel/kvm_amd: what matters is whether the vendor module is there.
        if (vendor.Length > 0 && moduleLoaded($"kvm_{vendor}")) return new(true, true, $"/dev/kvm is hardware-assisted (kvm_{vendor})");
        if (moduleLoaded("kvm_pvm")) return new(true, false, "/dev/kvm is kvm_pvm, without hardware virtualisation");
        return new(true, false, vendor.Length == 0
            ? "/dev/kvm opens but the CPU advertises neither vmx nor svm"
            : $"/dev/kvm opens but kvm_{vendor} is not loaded");
    }

    private static bool HasFlag(string flags, string flag)
    {
        foreach (var word in flags.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (word == flag) return true;
        return false;
    }

    private static string ReadCpuFlags()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal)) return line;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return "";
    }
}
