using System.Text;
using Xenon.Machine.Backend;
using Xenon.Machine.Cpu;

namespace Xenon.Machine.Tests.Cpu;

public sealed class CpuidBuilderTests
{
    // leaf 0 vendors as EBX, EDX, ECX
    private static readonly CpuidEntry IntelLeaf0 = Vendor(0x1f, "GenuineIntel");
    private static readonly CpuidEntry AmdLeaf0 = Vendor(0x10, "AuthenticAMD");

    private static CpuidEntry Vendor(uint maxLeaf, string vendor)
    {
        var b = Encoding.ASCII.GetBytes(vendor);
        return new CpuidEntry(0, 0, false, maxLeaf, BitConverter.ToUInt32(b, 0), BitConverter.ToUInt32(b, 8), BitConverter.ToUInt32(b, 4));
    }

    private static List<CpuidEntry> IntelSupported() =>
    [
        IntelLeaf0,
        // EBX: stale APIC id 0x7 / count 0x3 / CLFLUSH 8; ECX: MONITOR (bit 3), x2APIC (21); EDX: HTT clear
        new(1, 0, false, 0x000806f8, 0x07030800, 0x7ffafbff | (1u << 3), 0x0f8bfbff & ~(1u << 28)),
        new(4, 0, true, 0xfc004121, 0x01c0003f, 0x3f, 0), // L1d
        new(4, 1, true, 0xfc004122, 0x01c0003f, 0x3f, 0), // L1i
        new(4, 2, true, 0xfc01c143, 0x03c0003f, 0x7ff, 0), // L2
        new(4, 3, true, 0xfc3fc163, 0x0380003f, 0xbfff, 4), // L3
        new(4, 4, true, 0, 0, 0, 0),
        new(5, 0, false, 0x40, 0x40, 3, 0x11142120),
        new(6, 0, false, 0x4, 0, 0, 0),
        new(0xb, 0, true, 1, 2, 0x100, 9),
        new(0xb, 1, true, 7, 64, 0x201, 9),
        new(0x1f, 0, true, 1, 2, 0x100, 9),
        new(0x40000000, 0, false, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
        new(0x40000001, 0, false, 0x01007afb, 0, 0, 0),
        new(0x80000001, 0, false, 0, 0, 0x121, 0x2c100800),
    ];

    private static List<CpuidEntry> AmdSupported() =>
    [
        AmdLeaf0,
        new(1, 0, false, 0x00a50f00, 0x00000800, 0x7ef8320b, 0x178bfbff),
        new(0x80000001, 0, false, 0x00a50f00, 0, 0x20000000 | 0x00400000, 0x2fd3fbff), // MONITORX, TOPOEXT
        new(0x80000008, 0, false, 0x3030, 0x0, 0x0000f0ff, 0),
        new(0x8000001d, 0, true, 0x00000121, 0x01c0003f, 0x3f, 0),
        new(0x8000001d, 3, true, 0x00000163, 0x03c0003f, 0x7fff, 1),
        new(0x8000001e, 0, false, 0xffff, 0xffff, 0xffff, 0xffff),
    ];

    private static CpuidEntry Find(CpuidEntry[] entries, uint function, uint index = 0)
    {
        foreach (var e in entries)
            if (e.Function == function && e.Index == index) return e;
        throw new Xunit.Sdk.XunitException($"leaf 0x{function:x}.{index} missing; have: {string.Join(", ", Array.ConvertAll(entries, e => $"0x{e.Function:x}.{e.Index}"))}");
    }

    [Fact]
    public void Leaf1CarriesApicIdLogicalCountHttAndHypervisorBitWithoutMonitor()
    {
        var leaf1 = Find(CpuidBuilder.Build(IntelSupported(), vcpuIndex: 2, apicId: 2, vcpuCount: 4), 1);
        Assert.Equal(2u, leaf1.Ebx >> 24);
        Assert.Equal(4u, (leaf1.Ebx >> 16) & 0xff);
        Assert.Equal(0x0800u, leaf1.Ebx & 0xffff); // CLFLUSH line size kept
        Assert.NotEqual(0u, leaf1.Edx & (1u << 28));
        Assert.NotEqual(0u, leaf1.Ecx & (1u << 31));
        Assert.Equal(0u, leaf1.Ecx & (1u << 3));
        Assert.NotEqual(0u, leaf1.Ecx & (1u << 21)); // x2APIC kept
    }

    [Fact]
    public void SingleVcpuHasNoHtt()
    {
        var leaf1 = Find(CpuidBuilder.Build(IntelSupported(), 0, 0, 1), 1);
        Assert.Equal(0u, leaf1.Edx & (1u << 28));
        Assert.Equal(1u, (leaf1.Ebx >> 16) & 0xff);
        Assert.Equal(0u, leaf1.Ebx >> 24);
    }

    [Fact]
    public void IntelCacheLeavesShareL3AcrossAllCoresAndL1L2PerCore()
    {
        var entries = CpuidBuilder.Build(IntelSupported(), 1, 1, 6);
        for (uint sub = 0; sub < 4; sub++)
        {
            var leaf = Find(entries, 4, sub);
            uint level = (leaf.Eax >> 5) & 7;
            Assert.Equal(5u, leaf.Eax >> 26); // cores per package - 1
            Assert.Equal(level == 3 ? 5u : 0u, (leaf.Eax >> 14) & 0xfff);
            Assert.Equal(IntelSupported()[(int)sub + 2].Eax & 0x3fff, leaf.Eax & 0x3fff); // type, level, flags kept
        }
        Assert.Equal(0u, Find(entries, 4, 4).Eax); // terminator untouched
    }

    [Fact]
    public void ExtendedTopologyLeavesDescribeOneThreadPerCoreAndNCores()
    {
        var entries = CpuidBuilder.Build(IntelSupported(), 5, 5, 6);
        foreach (uint leaf in new uint[] { 0xb, 0x1f })
        {
            var smt = Find(entries, leaf, 0);
            Assert.Equal((0u, 1u, 0x100u, 5u), (smt.Eax, smt.Ebx, smt.Ecx, smt.Edx));
            var core = Find(entries, leaf, 1);
            Assert.Equal((3u, 6u, 0x201u, 5u), (core.Eax, core.Ebx, core.Ecx, core.Edx)); // 6 cores need 3 id bits
            var end = Find(entries, leaf, 2);
            Assert.Equal((0u, 0u, 2u, 5u), (end.Eax, end.Ebx, end.Ecx, end.Edx));
            Assert.True(smt.Indexed && core.Indexed && end.Indexed);
        }
        Assert.Equal(3, entries.Count(e => e.Function == 0xb)); // KVM's own 0xB entries replaced, not kept
    }

    [Fact]
    public void Leaf1FIsOnlyPresentWhenTheBackendOffersIt()
    {
        var supported = IntelSupported();
        supported.RemoveAll(e => e.Function == 0x1f);
        var entries = CpuidBuilder.Build(supported, 0, 0, 2);
        Assert.DoesNotContain(entries, e => e.Function == 0x1f);
        Assert.Contains(entries, e => e.Function == 0xb);
    }

    [Fact]
    public void PowerAndMwaitLeavesAreHidden()
    {
        var entries = CpuidBuilder.Build(IntelSupported(), 0, 0, 2);
        foreach (uint leaf in new uint[] { 5, 6 })
        {
            var e = Find(entries, leaf);
            Assert.Equal((0u, 0u, 0u, 0u), (e.Eax, e.Ebx, e.Ecx, e.Edx));
        }
    }

    [Fact]
    public void KvmSignatureLeafAndFeaturesAsReported()
    {
        var entries = CpuidBuilder.Build(IntelSupported(), 0, 0, 1);
        var sig = Find(entries, 0x40000000);
        Assert.Equal(0x40000001u, sig.Eax);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), sig.Ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), sig.Ecx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), sig.Edx);
        Assert.Equal("KVMKVMKVM\0\0\0", Encoding.ASCII.GetString(bytes));
        Assert.Equal(0x01007afbu, Find(entries, 0x40000001).Eax);
        Assert.Single(entries, e => e.Function == 0x40000000);
    }

    [Fact]
    public void SignatureLeafIsAddedEvenWhenTheBackendOmitsIt()
    {
        var entries = CpuidBuilder.Build([IntelLeaf0], 0, 0, 1);
        Assert.Equal(CpuidBuilder.KvmSignatureEbx, Find(entries, 0x40000000).Ebx);
    }

    [Fact]
    public void AmdTopologyLeavesAreCoherent()
    {
        var entries = CpuidBuilder.Build(AmdSupported(), vcpuIndex: 3, apicId: 3, vcpuCount: 4);

        var ext1 = Find(entries, 0x80000001);
        Assert.NotEqual(0u, ext1.Ecx & (1u << 1)); // CmpLegacy: HTT counts cores
        Assert.Equal(0u, ext1.Ecx & (1u << 29)); // MONITORX hidden
        Assert.NotEqual(0u, ext1.Ecx & (1u << 22)); // TOPOEXT kept

        var size = Find(entries, 0x80000008);
        Assert.Equal(3u, size.Ecx & 0xff); // NC = cores - 1
        Assert.Equal(2u, (size.Ecx >> 12) & 0xf); // 2 bits of core id in the APIC id

        var ext1e = Find(entries, 0x8000001e);
        Assert.Equal((3u, 3u, 0u, 0u), (ext1e.Eax, ext1e.Ebx, ext1e.Ecx, ext1e.Edx));

        Assert.Equal(0u, (Find(entries, 0x8000001d, 0).Eax >> 14) & 0xfff); // L1 per core
        Assert.Equal(3u, (Find(entries, 0x8000001d, 3).Eax >> 14) & 0xfff); // L3 shared by 4

        Assert.Equal(4u, Find(entries, 0xb, 1).Ebx); // max basic leaf 0x10 reaches 0xB: same topology there
    }

    [Fact]
    public void EmptyOrVendorlessInputStillYieldsTheSignatureAndNoTopologyLeaves()
    {
        var entries = CpuidBuilder.Build([], 0, 0, 1);
        Assert.Single(entries);
        Assert.Equal(0x40000000u, entries[0].Function);
    }

    [Fact]
    public void DuplicateAndUnknownLeavesPassThroughWithoutCrashing()
    {
        var supported = IntelSupported();
        supported.Add(new CpuidEntry(1, 0, false, 0, 0xffffffff, 0xffffffff, 0xffffffff));
        supported.Add(new CpuidEntry(0xdeadbeef, 7, true, 1, 2, 3, 4));
        var entries = CpuidBuilder.Build(supported, 0, 0, 2);
        Assert.Equal(2, entries.Count(e => e.Function == 1));
        Assert.All(entries.Where(e => e.Function == 1), e => Assert.Equal(0u, e.Ebx >> 24));
        Assert.Contains(new CpuidEntry(0xdeadbeef, 7, true, 1, 2, 3, 4), entries);
    }

    [Fact]
    public void EntriesAreSortedByLeafAndSubleaf()
    {
        var entries = CpuidBuilder.Build(IntelSupported(), 0, 0, 2);
        for (int i = 1; i < entries.Length; i++)
        {
            var (a, b) = (entries[i - 1], entries[i]);
            Assert.True(a.Function < b.Function || (a.Function == b.Function && a.Index <= b.Index), $"0x{a.Function:x}.{a.Index} before 0x{b.Function:x}.{b.Index}");
        }
    }

    [Theory]
    [InlineData(0, 0, 0u)]
    [InlineData(256, 0, 0u)]
    [InlineData(2, 2, 0u)]
    [InlineData(2, -1, 0u)]
    [InlineData(2, 0, 256u)]
    public void InvalidTopologyIsRejected(int count, int index, uint apicId)
        => Assert.Throws<ArgumentOutOfRangeException>(() => CpuidBuilder.Build(IntelSupported(), index, apicId, count));

    [Fact]
    public void ApicIdIsTheVcpuIndex()
    {
        Assert.Equal(0u, ApicIds.ForVcpu(0));
        Assert.Equal(7u, ApicIds.ForVcpu(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => ApicIds.ForVcpu(-1));
    }
}
