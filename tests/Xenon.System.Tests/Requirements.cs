using Xenon.Kvm;

namespace Xenon.System.Tests;

/// <summary>
/// What a test needs from the host. A missing requirement is an honest skip with the reason,
/// never a pass. Tests that need KVM carry the trait <c>Requires=Kvm</c> (or <c>HardwareKvm</c>)
/// so the nested tier (scripts/test.sh) can run exactly them inside the nested host.
/// </summary>
internal static class Requirements
{
    public static void Kvm()
    {
        if (!KvmSystem.IsAvailable(out var reason))
            Assert.Skip($"needs /dev/kvm ({reason}); the nested tier runs this test inside the nested host");
    }

    /// <summary>A stock Linux guest needs VT-x/AMD-V behind /dev/kvm; kvm_pvm (no hardware
    /// virtualisation) crawls through it and then fails on instructions it cannot emulate.</summary>
    public static void HardwareKvm()
    {
        Kvm();
        string flags = "";
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal)) { flags = line; break; }
        }
        catch (IOException) { }
        bool hw = flags.Contains(" vmx", StringComparison.Ordinal) || flags.Contains(" svm", StringComparison.Ordinal);
        if (!hw || Directory.Exists("/sys/module/kvm_pvm"))
            Assert.Skip("needs hardware-assisted KVM (this host's /dev/kvm has no VT-x/AMD-V); the nested tier runs this test inside the nested host");
    }
}
