namespace Xenon.Machine.Cpu;

/// <summary>
/// KVM's paravirtual clock MSRs ("new" pair, CPUID 0x40000001 bit 3): part of the guest ABI, so the KVM backend's
/// MSR list, the soft backend's kvmclock and a restore's read-ahead of the pvclock pages all name the same numbers.
/// </summary>
public static class KvmClockMsrs
{
    /// <summary>MSR_KVM_WALL_CLOCK_NEW: the GPA where the host writes the wall clock at boot.</summary>
    public const uint WallClockNew = 0x4b56_4d00;

    /// <summary>MSR_KVM_SYSTEM_TIME_NEW: the GPA of the vCPU's pvclock_vcpu_time_info, bit 0 = enabled.</summary>
    public const uint SystemTimeNew = 0x4b56_4d01;
}
