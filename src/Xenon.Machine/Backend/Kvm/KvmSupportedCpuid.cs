namespace Xenon.Machine.Backend.Kvm;

/// <summary>
/// What KVM can give a guest beyond what KVM_GET_SUPPORTED_CPUID lists. The TSC-deadline timer is emulated by the
/// in-kernel local APIC but never reported there (its CPUID bit is left to user space, as QEMU does). Without it the
/// guest falls back to the one-shot APIC timer, calibrates that against the PIT at boot (a tenth of a second of
/// jiffies, far longer on a nested host) and programs every timer event with an extra register write.
/// </summary>
public static class KvmSupportedCpuid
{
    /// <summary>Leaf 1 ECX bit 24.</summary>
    public const uint Leaf1EcxTscDeadline = 1u << 24;

    /// <summary>The leaves of <paramref name="reported"/> with the features the in-kernel irqchip adds.</summary>
    /// <param name="tscDeadline">KVM_CAP_TSC_DEADLINE_TIMER is present and the local APICs are in the kernel.</param>
    public static CpuidEntry[] WithInKernelFeatures(CpuidEntry[] reported, bool tscDeadline)
    {
        ArgumentNullException.ThrowIfNull(reported);
        var result = (CpuidEntry[])reported.Clone();
        if (!tscDeadline) return result;
        for (int i = 0; i < result.Length; i++)
            if (result[i].Function == 1) result[i] = result[i] with { Ecx = result[i].Ecx | Leaf1EcxTscDeadline };
        return result;
    }
}
