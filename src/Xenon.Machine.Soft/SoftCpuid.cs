using Xenon.Emulator.Execution;
using Xenon.Machine.Backend;

namespace Xenon.Machine.Soft;

/// <summary>
/// CPUID for the soft backend: what it offers as "supported" (the emulator's model), and the masking of a machine-built
/// table so a guest never sees a feature the emulator does not execute (the machine's builder starts from the supported
/// list but adds the KVM signature leaf, which must not reach a guest here: there is no kvmclock).
/// </summary>
internal static class SoftCpuid
{
    private const uint Leaf1EdxApic = 1u << 9, Leaf1EcxX2Apic = 1u << 21;
    private const uint HypervisorBase = 0x4000_0000, HypervisorEnd = 0x4000_00ff;

    private static readonly (uint Leaf, uint Subleaf, bool Indexed)[] Leaves =
    [
        (0, 0, false), (1, 0, false), (7, 0, true), (HypervisorBase, 0, false),
        (0x8000_0000, 0, false), (0x8000_0001, 0, false), (0x8000_0002, 0, false), (0x8000_0003, 0, false),
        (0x8000_0004, 0, false), (0x8000_0008, 0, false),
    ];

    /// <summary>The leaves the emulator's model answers. The APIC bit is off: there is no local APIC yet, so a guest
    /// must use the PIC (Linux then runs on the PIT and the 8259).</summary>
    public static CpuidEntry[] Supported(CpuidModel model)
    {
        var result = new CpuidEntry[Leaves.Length];
        for (int i = 0; i < Leaves.Length; i++)
        {
            var (leaf, sub, indexed) = Leaves[i];
            model.QueryModel(leaf, sub, out uint a, out uint b, out uint c, out uint d);
            if (leaf == 1) d &= ~Leaf1EdxApic;
            result[i] = new CpuidEntry(leaf, sub, indexed, a, b, c, d);
        }
        return result;
    }

    /// <summary>The table a vCPU runs with: <paramref name="entries"/> with each feature word ANDed with the model's, and
    /// the hypervisor leaves replaced by the model's own.</summary>
    public static CpuidLeaf[] Mask(ReadOnlySpan<CpuidEntry> entries, CpuidModel model)
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
                    ecx &= c1 & ~Leaf1EcxX2Apic;
                    // HTT follows the topology the machine chose; everything else must be executable
                    edx &= (d1 | (1u << 28)) & ~Leaf1EdxApic;
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
                case 0x0d or 0x14 or 0x12 or 0x0f or 0x10:
                    continue; // XSAVE, PT, SGX, RDT: not emulated
            }
            table.Add(new CpuidLeaf(e.Function, e.Index, e.Indexed, e.Eax, ebx, ecx, edx));
        }
        model.QueryModel(HypervisorBase, 0, out uint ha, out uint hb, out uint hc, out uint hd);
        table.Add(new CpuidLeaf(HypervisorBase, 0, false, ha, hb, hc, hd));
        return [.. table];
    }
}
