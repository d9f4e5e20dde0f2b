using System.Runtime.InteropServices;
using Xenon.Machine.Boot;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Boot;

public sealed class PvhLoaderTests
{
    private const ulong Rsdp = 0xe0000;

    /// <summary>Xen's structures, declared here independently to check the writer's offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct HvmStartInfo
    {
        public uint Magic, Version, Flags, NrModules;
        public ulong ModlistPaddr, CmdlinePaddr, RsdpPaddr, MemmapPaddr;
        public uint MemmapEntries, Reserved;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct HvmModlistEntry
    {
        public ulong Paddr, Size, CmdlinePaddr, Reserved;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct HvmMemmapEntry
    {
        public ulong Addr, Size;
        public uint Type, Reserved;
    }

    [Fact]
    public void LayoutMatchesXensHeader()
    {
        Assert.Equal(56, Marshal.SizeOf<HvmStartInfo>());
        Assert.Equal(PvhStartInfo.Size, Marshal.SizeOf<HvmStartInfo>());
        Assert.Equal(PvhStartInfo.ModuleEntrySize, Marshal.SizeOf<HvmModlistEntry>());
        Assert.Equal(PvhStartInfo.MemoryMapEntrySize, Marshal.SizeOf<HvmMemmapEntry>());
        // offsets as drawn in start_info.h
        int[] offsets = [PvhStartInfo.MagicOffset, PvhStartInfo.VersionOffset, PvhStartInfo.FlagsOffset, PvhStartInfo.NrModulesOffset,
            PvhStartInfo.ModlistPaddrOffset, PvhStartInfo.CmdlinePaddrOffset, PvhStartInfo.RsdpPaddrOffset,
            PvhStartInfo.MemmapPaddrOffset, PvhStartInfo.MemmapEntriesOffset];
        Assert.Equal([0, 4, 8, 12, 16, 24, 32, 40, 48], offsets);
        Assert.Equal(32, Marshal.SizeOf<HvmModlistEntry>());
        Assert.Equal(24, Marshal.SizeOf<HvmMemmapEntry>());
        Assert.Equal(PvhStartInfo.RsdpPaddrOffset, (int)Marshal.OffsetOf<HvmStartInfo>(nameof(HvmStartInfo.RsdpPaddr)));
        Assert.Equal(PvhStartInfo.MemmapPaddrOffset, (int)Marshal.OffsetOf<HvmStartInfo>(nameof(HvmStartInfo.MemmapPaddr)));
        Assert.Equal(PvhStartInfo.MemmapEntriesOffset, (int)Marshal.OffsetOf<HvmStartInfo>(nameof(HvmStartInfo.MemmapEntries)));
    }

    [Fact]
    public void LoadsSegmentsAndBuildsStartInfo()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var map = E820Map.ForGuest(memory);
        // Dirty the .bss range first: the loader must zero it.
        memory.GetSpan(0x1003000, 0x2000).Fill(0xcc);
        var initrd = new byte[0x4321];
        new Random(3).NextBytes(initrd);
        var plan = PvhLoader.Load(memory, SyntheticElf.Standard().Build(), initrd, "console=hvc0", map, Rsdp);

        Assert.Equal(BootProtocol.Pvh, plan.Protocol);
        Assert.Equal(0x1000100UL, plan.EntryPoint);
        Assert.Equal(0x1000000UL, plan.KernelStart);
        Assert.Equal(0x1005000UL, plan.KernelEnd);
        Assert.Equal(0x5a, memory.Read<byte>(0x1000000));
        Assert.Equal(unchecked((byte)(0x2fff ^ 0x5a)), memory.Read<byte>(0x1002fff));
        Assert.True(memory.GetSpan(0x1003000, 0x2000).IndexOfAnyExcept((byte)0) < 0, ".bss was not zeroed");

        var info = memory.Read<HvmStartInfo>(plan.BootInfoAddress);
        Assert.Equal(0x336ec578u, info.Magic);
        Assert.Equal(1u, info.Version);
        Assert.Equal(1u, info.NrModules);
        Assert.Equal(Rsdp, info.RsdpPaddr);
        Assert.Equal(plan.CommandLineAddress, info.CmdlinePaddr);
        Assert.Equal("console=hvc0\0"u8.ToArray(), memory.GetSpan(info.CmdlinePaddr, 13).ToArray());

        var module = memory.Read<HvmModlistEntry>(info.ModlistPaddr);
        Assert.Equal(plan.InitrdAddress, module.Paddr);
        Assert.Equal((ulong)initrd.Length, module.Size);
        Assert.Equal(initrd, memory.GetSpan(module.Paddr, initrd.Length).ToArray());
        Assert.Equal((64 * X86Layout.MiB - 0x4321) & ~0xfffUL, module.Paddr);

        Assert.Equal((uint)map.Entries.Count, info.MemmapEntries);
        for (int i = 0; i < map.Entries.Count; i++)
        {
            var e = memory.Read<HvmMemmapEntry>(info.MemmapPaddr + (ulong)(i * 24));
            Assert.Equal(map.Entries[i], new E820Entry(e.Addr, e.Size, (E820Type)e.Type));
            Assert.Equal(0u, e.Reserved);
        }

        // PVH entry: 32-bit protected mode, paging off, EBX = start info
        Assert.Equal(0x1000100UL, plan.Registers.Rip);
        Assert.Equal(BootLayout.PvhStartInfo, plan.Registers.Rbx);
        Assert.Equal(1UL, plan.SpecialRegisters.Cr0 & 1);
        Assert.Equal(0UL, plan.SpecialRegisters.Cr0 & (1UL << 31));
        Assert.Equal(0UL, plan.SpecialRegisters.Efer);
        Assert.True(plan.SpecialRegisters.Cs.DefaultBig && !plan.SpecialRegisters.Cs.Long);
        Assert.Equal(0xffffffffu, plan.SpecialRegisters.Ss.Limit);
    }

    [Fact]
    public void WithoutInitrdThereAreNoModules()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var plan = PvhLoader.Load(memory, SyntheticElf.Standard().Build(), [], "", E820Map.ForGuest(memory), Rsdp);
        var info = memory.Read<HvmStartInfo>(plan.BootInfoAddress);
        Assert.Equal(0u, info.NrModules);
        Assert.Equal(0UL, info.ModlistPaddr);
    }

    [Fact]
    public void SegmentOutsideRamIsRefused()
    {
        using var memory = GuestMemory.CreateX86(16 * X86Layout.MiB);
        var e = Assert.Throws<KernelImageException>(() =>
            PvhLoader.Load(memory, SyntheticElf.Standard().Build(), [], "", E820Map.ForGuest(memory), Rsdp));
        Assert.Contains("not inside guest RAM", e.Message);
    }

    [Fact]
    public void SegmentInTheFirstMiBIsRefused()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var b = new SyntheticElf();
        b.Segments.Add(new SyntheticElf.Segment(0x8000, new byte[0x100], 0x100));
        b.Notes.Add(new SyntheticElf.Note("Xen", 18, BitConverter.GetBytes(0x8000u)));
        var e = Assert.Throws<KernelImageException>(() => PvhLoader.Load(memory, b.Build(), [], "", E820Map.ForGuest(memory), Rsdp));
        Assert.Contains("first MiB", e.Message);
    }

    [Fact]
    public void EntryOutsideTheSegmentsIsRefused()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var e = Assert.Throws<KernelImageException>(() =>
            PvhLoader.Load(memory, SyntheticElf.Standard(0x2000000).Build(), [], "", E820Map.ForGuest(memory), Rsdp));
        Assert.Contains("outside every PT_LOAD segment", e.Message);
    }

    [Fact]
    public void InitrdTooLargeIsRefused()
    {
        using var memory = GuestMemory.CreateX86(32 * X86Layout.MiB);
        Assert.Throws<BootException>(() =>
            PvhLoader.Load(memory, SyntheticElf.Standard().Build(), new byte[16 * X86Layout.MiB], "", E820Map.ForGuest(memory), Rsdp));
    }
}
