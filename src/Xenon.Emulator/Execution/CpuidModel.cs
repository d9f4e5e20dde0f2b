using System.Text;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The CPU the emulator presents: a baseline x86-64 with exactly the features it executes (SSE2, CX16, POPCNT, LZCNT,
/// NX, 1 GiB pages, RDTSCP, SYSCALL). No XSAVE/AVX, no SSE3+, no PCID, no SMEP/SMAP, no MCE: the guest never tries them.
/// A neutral vendor string keeps Linux on its generic CPU path (no model-specific MSRs).
/// </summary>
public sealed class CpuidModel
{
    public string Vendor { get; init; } = "XenonSoftCPU";
    public string Brand { get; init; } = "Xenon software x86-64 CPU";
    /// <summary>Leaf 1 EAX: family 6, model 15, stepping 1.</summary>
    public uint Signature { get; init; } = 0x000006F1;
    public uint ApicId { get; init; }
    public uint LogicalProcessors { get; init; } = 1;
    /// <summary>Advertise BMI1 (TZCNT); off by default: F3 0F BC then executes as BSF, as on CPUs without BMI1.</summary>
    public bool Bmi1 { get; init; }

    /// <summary>Present KVM's hypervisor leaves with kvmclock (the "new" MSR pair and the stable bit), for a machine whose
    /// <see cref="Cpu.ExtraMsrs"/> implements MSR_KVM_SYSTEM_TIME_NEW and MSR_KVM_WALL_CLOCK_NEW. Off: leaf 0x40000000
    /// answers "XenonEmulatr" and a guest looks for no paravirtual clock.</summary>
    public bool KvmClock { get; init; }

    /// <summary>Leaf 0x80000007 EDX bit 8, invariant TSC: the guest TSC is the host's monotonic clock, which never changes
    /// rate or stops. Linux turns it into CONSTANT_TSC/NONSTOP_TSC only on its vendor paths (Intel, AMD, …), not the generic one.</summary>
    public bool InvariantTsc { get; init; }

    /// <summary>IA32_ARCH_CAPABILITIES (MSR 0x10A, offered by leaf 7 EDX bit 29 when non-zero). An interpreter does not
    /// speculate, so the "not affected" bits are true of it; without them Linux on an Intel vendor string turns on page
    /// table isolation (a CR3 switch, here a TLB flush, on every kernel entry) and other mitigations for nothing.</summary>
    public ulong ArchCapabilities { get; init; }

    /// <summary>The ARCH_CAPABILITIES bits that only say "not affected": RDCL_NO, SSB_NO, MDS_NO, PSCHANGE_MC_NO, TAA_NO,
    /// SBDR_SSDP_NO, FBSDP_NO, PSDP_NO, BHI_NO, PBRSB_NO, GDS_NO, RFDS_NO, ITS_NO. None of them promises an MSR or instruction.</summary>
    public const ulong NotAffected = (1UL << 0) | (1UL << 4) | (1UL << 5) | (1UL << 6) | (1UL << 8) | (1UL << 13) | (1UL << 14) |
        (1UL << 15) | (1UL << 20) | (1UL << 24) | (1UL << 26) | (1UL << 27) | (1UL << 62);

    /// <summary>KVM_CPUID_FEATURES EAX with <see cref="KvmClock"/>: KVM_FEATURE_CLOCKSOURCE2 (bit 3) and
    /// KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (bit 24). Nothing else KVM offers (async PF, steal time, PV EOI, PV unhalt) exists here.</summary>
    public const uint KvmFeatures = (1u << 3) | (1u << 24);

    public const uint Leaf1Edx = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 13) |
        (1u << 15) | (1u << 16) | (1u << 19) | (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26);
    public const uint Leaf1Ecx = (1u << 13) | (1u << 23) | (1u << 31); // CX16, POPCNT, hypervisor
    public const uint Ext1Edx = (1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29); // SYSCALL NX 1G RDTSCP LM
    public const uint Ext1Ecx = (1u << 0) | (1u << 5); // LAHF/SAHF in 64-bit mode, LZCNT

    private CpuidLeaf[]? _table;

    /// <summary>Replaces the built-in answers with a table (the machine's CPUID after topology and policy); null restores
    /// the built-in model. A leaf missing from the table reads as zeros. The caller is responsible for listing only
    /// features the emulator executes (the soft backend masks them).</summary>
    public void SetTable(CpuidLeaf[]? table) => Volatile.Write(ref _table, table);

    /// <summary>The table set by <see cref="SetTable"/>, or null.</summary>
    public CpuidLeaf[]? Table => Volatile.Read(ref _table);

    public void Query(uint leaf, uint subleaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        if (Volatile.Read(ref _table) is { } table)
        {
            QueryTable(table, leaf, subleaf, out eax, out ebx, out ecx, out edx);
            return;
        }
        QueryModel(leaf, subleaf, out eax, out ebx, out ecx, out edx);
    }

    private static void QueryTable(CpuidLeaf[] table, uint leaf, uint subleaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        foreach (ref readonly var e in table.AsSpan())
        {
            if (e.Leaf != leaf || (e.Indexed && e.Subleaf != subleaf)) continue;
            (eax, ebx, ecx, edx) = (e.Eax, e.Ebx, e.Ecx, e.Edx);
            return;
        }
        eax = ebx = ecx = edx = 0;
    }

    /// <summary>The built-in model's answer, ignoring any table (what a backend offers as "supported").</summary>
    public void QueryModel(uint leaf, uint subleaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        eax = ebx = ecx = edx = 0;
        switch (leaf)
        {
            case 0:
                eax = 7;
                Chars(Vendor, 0, out ebx);
                Chars(Vendor, 4, out edx);
                Chars(Vendor, 8, out ecx);
                break;
            case 1:
                eax = Signature;
                ebx = (ApicId << 24) | (Math.Min(LogicalProcessors, 255u) << 16) | (8u << 8);
                ecx = Leaf1Ecx;
                edx = Leaf1Edx | (LogicalProcessors > 1 ? 1u << 28 : 0);
                break;
            case 7:
                if (subleaf != 0) break;
                if (Bmi1) ebx = 1u << 3;
                if (ArchCapabilities != 0) edx = 1u << 29;
                break;
            case 0x40000000:
            {
                string signature = KvmClock ? "KVMKVMKVM" : "XenonEmulatr";
                eax = KvmClock ? 0x40000001u : 0x40000000u;
                Chars(signature, 0, out ebx);
                Chars(signature, 4, out ecx);
                Chars(signature, 8, out edx);
                break;
            }
            case 0x40000001:
                if (KvmClock) eax = KvmFeatures;
                break;
            case 0x80000000:
                eax = 0x80000008;
                break;
            case 0x80000001:
                ecx = Ext1Ecx;
                edx = Ext1Edx;
                break;
            case 0x80000002:
            case 0x80000003:
            case 0x80000004:
            {
                int off = (int)(leaf - 0x80000002) * 16;
                Chars(Brand, off, out eax);
                Chars(Brand, off + 4, out ebx);
                Chars(Brand, off + 8, out ecx);
                Chars(Brand, off + 12, out edx);
                break;
            }
            case 0x80000007:
                if (InvariantTsc) edx = 1u << 8;
                break;
            case 0x80000008:
                eax = (48u << 8) | Memory.Mmu.PhysicalAddressBits;
                break;
        }
    }

    private static void Chars(string s, int offset, out uint value)
    {
        value = 0;
        for (int k = 0; k < 4; k++)
        {
            int idx = offset + k;
            byte c = idx < s.Length ? (byte)s[idx] : (byte)0;
            value |= (uint)c << (8 * k);
        }
    }

    /// <summary>The vendor string of leaf 0 in EBX, EDX, ECX order, for tests and logs.</summary>
    public override string ToString() => new StringBuilder(Vendor).Append(' ').Append(Brand).ToString();
}

/// <summary>One CPUID table row: <see cref="Indexed"/> leaves match on the subleaf (ECX) too.</summary>
public readonly record struct CpuidLeaf(uint Leaf, uint Subleaf, bool Indexed, uint Eax, uint Ebx, uint Ecx, uint Edx);
