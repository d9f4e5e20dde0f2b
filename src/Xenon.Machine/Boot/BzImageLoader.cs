using System.Buffers.Binary;
using Xenon.Machine.Memory;
using static Xenon.Machine.Boot.BootParamsLayout;

namespace Xenon.Machine.Boot;

/// <summary>
/// Loads a Linux x86 bzImage for the 64-bit boot protocol entry: the protected-mode kernel at
/// its preferred address (or 1 MiB), command line, initrd high in low RAM, and the zero page
/// (boot_params) with the setup header, E820 map and RSDP address.
/// </summary>
public static class BzImageLoader
{
    /// <summary>The 64-bit entry point is this far into the protected-mode kernel.</summary>
    public const ulong Entry64Offset = 0x200;

    public static BootPlan Load(GuestMemory memory, ReadOnlySpan<byte> image, ReadOnlySpan<byte> initrd,
        string commandLine, E820Map memoryMap, ulong rsdpAddress)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(memoryMap);

        var header = SetupHeader.Parse(image);
        var kernel = image[header.SetupSize..];
        ulong lowEnd = memoryMap.LowRamEnd;
        ulong needed = Math.Max((ulong)kernel.Length, header.InitSize);

        ulong load = BootLayout.DefaultKernelLoad;
        if (header.Relocatable && header.PreferredAddress >= BootLayout.DefaultKernelLoad
            && header.PreferredAddress <= lowEnd && needed <= lowEnd - header.PreferredAddress)
            load = header.PreferredAddress;

        // The decompressor runs the kernel at the load address rounded up to kernel_alignment,
        // and never below pref_address; init_size counts from there.
        ulong runtimeStart = header.Relocatable ? InitrdPlacement.AlignUp(load, header.KernelAlignment) : load;
        runtimeStart = Math.Max(runtimeStart, header.PreferredAddress);
        if (runtimeStart > lowEnd)
            throw new BootException($"the kernel wants to run at 0x{runtimeStart:x} but RAM below 4 GiB ends at 0x{lowEnd:x}");
        ulong kernelEnd = Math.Max(load + (ulong)kernel.Length, runtimeStart + header.InitSize);
        if (kernelEnd > lowEnd || !memoryMap.IsRam(load, (ulong)kernel.Length))
            throw new BootException(
                $"the kernel needs memory up to 0x{kernelEnd:x} (init_size 0x{header.InitSize:x} from 0x{runtimeStart:x}) but RAM below 4 GiB ends at 0x{lowEnd:x}");
        memory.Write(load, kernel);

        ulong cmdline = CommandLine.Write(memory, commandLine, header.CommandLineSize);

        ulong initrdMaxEnd = (ulong)header.InitrdAddressMax + 1;
        ulong initrdAddress = InitrdPlacement.Place(memory, memoryMap, initrd, kernelEnd, initrdMaxEnd);

        WriteBootParams(memory, image, header, cmdline, initrdAddress, (ulong)initrd.Length, memoryMap, rsdpAddress);

        ulong entry = load + Entry64Offset;
        var (regs, sregs) = X86BootSetup.LongModeEntry(memory, entry, BootLayout.BootParams);
        return new BootPlan
        {
            Protocol = BootProtocol.Linux64,
            Registers = regs,
            SpecialRegisters = sregs,
            EntryPoint = entry,
            BootInfoAddress = BootLayout.BootParams,
            KernelStart = load,
            KernelEnd = kernelEnd,
            CommandLineAddress = cmdline,
            InitrdAddress = initrdAddress,
            InitrdSize = (ulong)initrd.Length,
            RsdpAddress = rsdpAddress,
        };
    }

    private static void WriteBootParams(GuestMemory memory, ReadOnlySpan<byte> image, SetupHeader header,
        ulong cmdline, ulong initrdAddress, ulong initrdSize, E820Map map, ulong rsdp)
    {
        var zp = memory.GetSpan(BootLayout.BootParams, BootParamsLayout.Size);
        zp.Clear();
        image[SetupHeaderStart..header.HeaderEnd].CopyTo(zp[SetupHeaderStart..]);

        zp[TypeOfLoader] = LoaderTypeUndefined;
        zp[BootParamsLayout.LoadFlags] = (byte)((header.LoadFlags | CanUseHeap) & ~KeepSegments);
        BinaryPrimitives.WriteUInt16LittleEndian(zp[HeapEndPtr..], HeapEnd);
        BinaryPrimitives.WriteUInt16LittleEndian(zp[VidMode..], VidModeNormal);
        WriteSplit(zp, CmdLinePtr, ExtCmdLinePtr, cmdline);
        WriteSplit(zp, RamdiskImage, ExtRamdiskImage, initrdAddress);
        WriteSplit(zp, RamdiskSize, ExtRamdiskSize, initrdSize);
        BinaryPrimitives.WriteUInt64LittleEndian(zp[AcpiRsdpAddr..], rsdp);

        var entries = map.Entries;
        zp[E820Entries] = (byte)entries.Count;
        for (int i = 0; i < entries.Count; i++)
        {
            var slot = zp.Slice(E820Table + i * E820EntrySize, E820EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(slot, entries[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], entries[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(slot[16..], (uint)entries[i].Type);
        }
    }

    /// <summary>A 64-bit value stored as a 32-bit header field plus its ext_ high half in boot_params.</summary>
    private static void WriteSplit(Span<byte> zp, int low, int high, ulong value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(zp[low..], (uint)value);
        BinaryPrimitives.WriteUInt32LittleEndian(zp[high..], (uint)(value >> 32));
    }
}
