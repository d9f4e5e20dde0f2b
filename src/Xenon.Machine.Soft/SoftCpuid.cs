using Xenon.Emulator.Execution;
using Xenon.Machine.Backend;

namespace Xenon.Machine.Soft;

/// <summary>
/// CPUID for the soft backend: what it offers as "supported" (the emulator's model), and the masking of a machine-built
/// table so a guest never sees a feature the emulator does not execute. The hypervisor leaves are always the model's own:
/// KVM's signature with kvmclock and nothing else of KVM's paravirtual features (the machine's builder may ask for more).
/// </summary>
internal static class SoftCpuid
{
    private const uint Leaf1EdxApic = 1u << 9, Leaf1EcxX2Apic = 1u << 21, Leaf1EcxTscDeadline = 1u << 24;
    private const uint HypervisorBase = 0x4000_0000, HypervisorEnd = 0x4000_00ff;

    private static readonly (uint Leaf, uint Subleaf, bool Indexed)[] Leaves =
    [
        (0, 0, false), (1, 0, false), (7, 0, true), (HypervisorBase, 0, false), (HypervisorBase + 1, 0, false),
        (0x8000_0000, 0, false), (0x8000_0001, 0, false), (0x8000_0002, 0, false), (0x8000_0003, 0, false),
        (0x8000_0004, 0, false), (0x8000_0007, 0, false), (0x8000_0008, 0, false),
    ];

    /// <summary>
    /// The CPU every soft vCPU presents: the emulator's baseline, kvmclock, and a TSC Linux trusts. The TSC is the host's
    /// monotonic clock, the same on every vCPU, but Linux believes that (CONSTANT_TSC, NONSTOP_TSC) only on a vendor path:
    /// the generic one marks the TSC unstable with two vCPUs ("TSCs unsynchronized"). So the vendor is Intel, family 6
    /// model 15 (≥ 0x0e gives CONSTANT_TSC), with invariant TSC, and ARCH_CAPABILITIES saying "not affected" so that the
    /// Intel path does not turn on page table isolation. The Intel path's MSRs (MISC_ENABLE, the microcode revision) exist.
    /// </summary>
    public static CpuidModel Model(uint apicId, int vcpuCount) => new()
    {
        Vendor = "GenuineIntel", ApicId = apicId, LogicalProcessors = (uint)vcpuCount, KvmClock = true, InvariantTsc = true,
        ArchCapabilities = CpuidModel.NotAffected,
    };

    /// <summary>The leaves the emulator's model answers, local APIC included (every vCPU of a backend with interrupt
    /// controllers has one). x2APIC and the TSC-deadline timer are not offered: the APICs are xAPIC only.</summary>
    public static CpuidEntry[] Supported(CpuidModel model)
    {
        var result = new CpuidEntry[Leaves.Length];
        for (int i = 0; i < Leaves.Length; i++)
        {
            var (leaf, sub, indexed) = Leaves[i];
            model.QueryModel(leaf, sub, out uint a, out uint b, out uint c, out uint d);
            result[i] = new CpuidEntry(leaf, sub, indexed, a, b, c, d);
        }
        return result;
    }

    /// <summary>The table a vCPU runs with: <paramref name="entries"/> with each feature word ANDed with the model's, and
    /// the hypervisor leaves replaced by the model's own. The APIC bit stays only for a vCPU that has a local APIC.</summary>
    public static CpuidLeaf[] Mask(ReadOnlySpan<CpuidEntry> entries, CpuidModel model, bool localApic)
    {
        var table = new List<CpuidLeaf>(entries.Length + 1);
        foreach (var e in entries)
        {
            if (e.Function is >= HypervisorBase and <= HypervisorEnd) continue;
            uint ecx = e.Ecx, edx = e.Edx, ebx = e.Ebx;
            switch (e.Function)
            {
                case 1:
                    model.QueryModel(1, 0, out _, out _, out uint c1, out uint d1);
                    ecx &= c1 & ~(Leaf1EcxX2Apic | Leaf1EcxTscDeadline);
                    // HTT follows the topology the machine chose; everything else must be executable
                    edx &= (d1 | (1u << 28)) & (localApic ? ~0u : ~Leaf1EdxApic);
                    break;
                case 7:
                    model.QueryModel(7, e.Index, out _, out uint b7, out uint c7, out uint d7);
                    ebx &= b7;
                    ecx &= c7;
                    edx &= d7;
                    break;
                case 0x8000_0001:
                    model.QueryModel(0x8000_0001, 0, out _, out _, out uint c81, out uint d81);
                    ecx &= c81;
                    edx &= d81;
                    break;
                case 0x8000_0007:
                    model.QueryModel(0x8000_0007, 0, out _, out _, out _, out uint d87);
                    table.Add(new CpuidLeaf(e.Function, 0, false, 0, 0, 0, edx & d87)); // power management: only invariant TSC
                    continue;
                case 0x0d or 0x14 or 0x12 or 0x0f or 0x10:
                    continue; // XSAVE, PT, SGX, RDT: not emulated
            }
            table.Add(new CpuidLeaf(e.Function, e.Index, e.Indexed, e.Eax, ebx, ecx, edx));
        }
        for (uint leaf = HypervisorBase; leaf <= HypervisorBase + 1; leaf++)
        {
            model.QueryModel(leaf, 0, out uint ha, out uint hb, out uint hc, out uint hd);
            table.Add(new CpuidLeaf(leaf, 0, false, ha, hb, hc, hd));
        }
        return [.. table];
    }
}
