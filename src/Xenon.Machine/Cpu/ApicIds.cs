namespace Xenon.Machine.Cpu;

/// <summary>The APIC id of each vCPU. Identity today (one thread a core, one socket); the one place to change
/// if a topology ever leaves gaps in the id space.</summary>
public static class ApicIds
{
    public static uint ForVcpu(int vcpuIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vcpuIndex);
        return (uint)vcpuIndex;
    }
}
