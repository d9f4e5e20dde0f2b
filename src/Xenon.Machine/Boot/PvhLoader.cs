using Xenon.Machine.Memory;

namespace Xenon.Machine.Boot;

/// <summary>
/// Boots an ELF kernel through Xen's PVH entry: PT_LOAD segments at their physical addresses,
/// hvm_start_info (command line, initrd as module 0, RSDP, memory map) and 32-bit protected
/// mode with EBX pointing at the start info.
/// </summary>
public static class PvhLoader
{
    public static BootPlan Load(GuestMemory memory, ReadOnlySpan<byte> image, ReadOnlySpan<byte> initrd,
        string commandLine, E820Map memoryMap, ulong rsdpAddress)
        => Load(memory, ElfKernel.Parse(image), image, null, initrd, commandLine, memoryMap, rsdpAddress);

    /// <summary>Loads a kernel opened with <see cref="KernelImage.Open"/>: each segment goes from the file straight
    /// into guest memory.</summary>
    public static BootPlan Load(GuestMemory memory, KernelImage kernel, ReadOnlySpan<byte> initrd,
        string commandLine, E820Map memoryMap, ulong rsdpAddress)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var elf = kernel.Elf ?? throw new ArgumentException("not an ELF kernel", nameof(kernel));
        return Load(memory, elf, default, kernel, initrd, commandLine, memoryMap, rsdpAddress);
    }

    private static BootPlan Load(GuestMemory memory, ElfKernel elf, ReadOnlySpan<byte> image, KernelImage? file,
        ReadOnlySpan<byte> initrd, string commandLine, E820Map memoryMap, ulong rsdpAddress)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(memoryMap);

        ulong kernelStart = ulong.MaxValue, kernelEnd = 0;
        bool entryInside = false;
        for (int i = 0; i < elf.Segments.Count; i++)
        {
            var s = elf.Segments[i];
            if (s.PhysicalAddress < X86Layout.HighMemoryStart)
                throw new KernelImageException($"PT_LOAD segment at 0x{s.PhysicalAddress:x} overlaps the first MiB, which holds the boot structures");
            if (!memoryMap.IsRam(s.PhysicalAddress, s.MemorySize))
                throw new KernelImageException($"PT_LOAD segment at 0x{s.PhysicalAddress:x}+0x{s.MemorySize:x} is not inside guest RAM");
            kernelStart = Math.Min(kernelStart, s.PhysicalAddress);
            kernelEnd = Math.Max(kernelEnd, s.PhysicalAddress + s.MemorySize);
            entryInside |= elf.PvhEntry >= s.PhysicalAddress && elf.PvhEntry - s.PhysicalAddress < s.MemorySize;
        }
        if (!entryInside)
            throw new KernelImageException($"PVH entry 0x{elf.PvhEntry:x} is outside every PT_LOAD segment");

        foreach (var s in elf.Segments)
        {
            var destination = memory.GetSpan(s.PhysicalAddress, checked((int)s.MemorySize));
            if (file is null) image.Slice((int)s.FileOffset, (int)s.FileSize).CopyTo(destination);
            else file.ReadSegment(s, destination[..(int)s.FileSize]);
            destination[(int)s.FileSize..].Clear();
        }

        ulong cmdline = CommandLine.Write(memory, commandLine, BootLayout.MaxCommandLine - 1);
        ulong initrdAddress = InitrdPlacement.Place(memory, memoryMap, initrd, kernelEnd, X86Layout.MmioHoleStart);

        var entries = memoryMap.Entries;
        var map = memory.GetSpan(BootLayout.PvhMemoryMap, entries.Count * PvhStartInfo.MemoryMapEntrySize);
        for (int i = 0; i < entries.Count; i++)
            PvhStartInfo.WriteMemoryMapEntry(map[(i * PvhStartInfo.MemoryMapEntrySize)..], entries[i]);

        uint modules = 0;
        if (!initrd.IsEmpty)
        {
            PvhStartInfo.WriteModule(memory.GetSpan(BootLayout.PvhModuleList, PvhStartInfo.ModuleEntrySize), initrdAddress, (ulong)initrd.Length);
            modules = 1;
        }
        PvhStartInfo.Write(memory.GetSpan(BootLayout.PvhStartInfo, PvhStartInfo.Size),
            modules == 0 ? 0 : BootLayout.PvhModuleList, modules, cmdline, rsdpAddress,
            BootLayout.PvhMemoryMap, (uint)entries.Count);

        var (regs, sregs) = X86BootSetup.ProtectedModeEntry(memory, elf.PvhEntry, (uint)BootLayout.PvhStartInfo);
        return new BootPlan
        {
            Protocol = BootProtocol.Pvh,
            Registers = regs,
            SpecialRegisters = sregs,
            EntryPoint = elf.PvhEntry,
            BootInfoAddress = BootLayout.PvhStartInfo,
            KernelStart = kernelStart,
            KernelEnd = kernelEnd,
            CommandLineAddress = cmdline,
            InitrdAddress = initrdAddress,
            InitrdSize = (ulong)initrd.Length,
            RsdpAddress = rsdpAddress,
        };
    }
}
