using System.Numerics;
using Xenon.Machine.Backend;

namespace Xenon.Machine.Cpu;

/// <summary>
/// Turns the CPUID leaves a backend can offer into the leaves one vCPU shows its guest: a coherent topology
/// (one socket, one thread a core, N cores; APIC id = <see cref="ApicIds"/>), the hypervisor bit and the KVM
/// signature leaf, and nothing advertised that this VMM does not emulate (MONITOR/MWAIT, thermal/power leaf 6).
/// </summary>
public static class CpuidBuilder
{
    /// <summary>Leaf 1 EBX[23:16] and the xAPIC id are 8 bits wide.</summary>
    public const int MaxVcpus = 255;

    public const uint KvmSignatureLeaf = 0x4000_0000, KvmFeaturesLeaf = 0x4000_0001;

    // "KVMKVMKVM\0\0\0" as EBX, ECX, EDX
    public const uint KvmSignatureEbx = 0x4b4d_564b, KvmSignatureEcx = 0x564b_4d56, KvmSignatureEdx = 0x0000_004d;

    private const uint Leaf1EcxMonitor = 1u << 3, Leaf1EcxHypervisor = 1u << 31, Leaf1EdxHtt = 1u << 28;
    private const uint ExtLeaf1EcxCmpLegacy = 1u << 1, ExtLeaf1EcxMonitorX = 1u << 29;
    private const uint TopologyLevelSmt = 1, TopologyLevelCore = 2;

    public static CpuidEntry[] Build(IReadOnlyList<CpuidEntry> supported, int vcpuIndex, uint apicId, int vcpuCount)
    {
        ArgumentNullException.ThrowIfNull(supported);
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vcpuCount, MaxVcpus);
        ArgumentOutOfRangeException.ThrowIfNegative(vcpuIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(vcpuIndex, vcpuCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(apicId, 0xffu);

        uint maxBasic = 0;
        bool amd = false, hasLeaf1F = false;
        foreach (var e in supported)
        {
            if (e.Function == 0)
            {
                maxBasic = e.Eax;
                amd = IsAmdLike(e);
            }
            if (e.Function == 0x1f) hasLeaf1F = true;
        }

        var topo = new Topology(vcpuIndex, apicId, (uint)vcpuCount);
        var result = new List<CpuidEntry>(supported.Count + 8);
        foreach (var entry in supported)
        {
            switch (entry.Function)
            {
                case 0x0b or 0x1f or KvmSignatureLeaf:
                    continue; // regenerated below
                case 0x05 or 0x06:
                    result.Add(entry with { Eax = 0, Ebx = 0, Ecx = 0, Edx = 0 });
                    continue;
                case 0x01:
                    result.Add(Leaf1(entry, topo));
                    continue;
                case 0x04 when !amd:
                case 0x8000_001d when amd:
                    result.Add(CacheTopology(entry, topo));
                    continue;
                case 0x8000_0001:
                    result.Add(ExtendedLeaf1(entry, topo, amd));
                    continue;
                case 0x8000_0008 when amd:
                    result.Add(entry with { Ecx = (entry.Ecx & ~0xf0ffu) | (topo.CoreIdBits << 12) | (topo.Count - 1) });
                    continue;
                case 0x8000_001e when amd:
                    // extended APIC id; compute unit = core (one thread each); one node a package
                    result.Add(entry with { Eax = topo.ApicId, Ebx = (uint)topo.Index & 0xff, Ecx = 0, Edx = 0 });
                    continue;
                default:
                    result.Add(entry);
                    continue;
            }
        }

        if (maxBasic >= 0x0b) AddExtendedTopology(result, 0x0b, topo);
        if (maxBasic >= 0x1f && hasLeaf1F) AddExtendedTopology(result, 0x1f, topo);
        result.Add(new CpuidEntry(KvmSignatureLeaf, 0, false, KvmFeaturesLeaf, KvmSignatureEbx, KvmSignatureEcx, KvmSignatureEdx));

        result.Sort(static (a, b) => a.Function != b.Function ? a.Function.CompareTo(b.Function) : a.Index.CompareTo(b.Index));
        return result.ToArray();
    }

    private static CpuidEntry Leaf1(CpuidEntry e, Topology t)
    {
        // EBX: [31:24] initial APIC id, [23:16] logical processors in the package, [15:0] kept (CLFLUSH size, brand)
        uint ebx = (e.Ebx & 0xffff) | (t.Count << 16) | (t.ApicId << 24);
        uint ecx = (e.Ecx | Leaf1EcxHypervisor) & ~Leaf1EcxMonitor;
        uint edx = t.Count > 1 ? e.Edx | Leaf1EdxHtt : e.Edx & ~Leaf1EdxHtt;
        return e with { Ebx = ebx, Ecx = ecx, Edx = edx };
    }

    private static CpuidEntry ExtendedLeaf1(CpuidEntry e, Topology t, bool amd)
    {
        uint ecx = e.Ecx & ~ExtLeaf1EcxMonitorX;
        if (amd) ecx = t.Count > 1 ? ecx | ExtLeaf1EcxCmpLegacy : ecx & ~ExtLeaf1EcxCmpLegacy;
        return e with { Ecx = ecx };
    }

    /// <summary>Deterministic cache parameters (Intel leaf 4, AMD 0x8000_001D): L1/L2 private to a core, L3 shared by all.</summary>
    private static CpuidEntry CacheTopology(CpuidEntry e, Topology t)
    {
        if ((e.Eax & 0x1f) == 0) return e; // no more caches
        uint level = (e.Eax >> 5) & 0x7;
        uint sharing = level >= 3 ? Math.Min(t.Count - 1, 0xfffu) : 0;
        uint eax = (e.Eax & 0x3fff) | (sharing << 14);
        if (e.Function == 0x04) eax |= (Math.Min(t.Count, 64u) - 1) << 26; // cores per package - 1 (Intel only)
        else eax |= e.Eax & 0xfc00_0000;
        return e with { Eax = eax };
    }

    /// <summary>Leaf 0xB / 0x1F: SMT level (1 thread), core level (N cores), then the invalid terminator.</summary>
    private static void AddExtendedTopology(List<CpuidEntry> result, uint leaf, Topology t)
    {
        result.Add(new CpuidEntry(leaf, 0, true, 0, 1, (TopologyLevelSmt << 8) | 0, t.ApicId));
        result.Add(new CpuidEntry(leaf, 1, true, t.CoreIdBits, t.Count, (TopologyLevelCore << 8) | 1, t.ApicId));
        result.Add(new CpuidEntry(leaf, 2, true, 0, 0, 2, t.ApicId));
    }

    private static bool IsAmdLike(CpuidEntry leaf0)
    {
        // "AuthenticAMD" and "HygonGenuine" (EBX, EDX, ECX)
        return (leaf0.Ebx, leaf0.Edx, leaf0.Ecx) is (0x6874_7541, 0x6974_6e65, 0x444d_4163) or (0x6f67_7948, 0x6e65_476e, 0x656e_6975);
    }

    private readonly record struct Topology(int Index, uint ApicId, uint Count)
    {
        /// <summary>Bits of the APIC id that number cores within the package.</summary>
        public uint CoreIdBits => Count <= 1 ? 0 : (uint)(32 - BitOperations.LeadingZeroCount(Count - 1));
    }
}
