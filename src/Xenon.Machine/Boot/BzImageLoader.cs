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
        var header = SetupHeader.Parse(image);
        return Load(memory, header, image[..header.SetupSize], image[header.SetupSize..], null, initrd, commandLine, memoryMap, rsdpAddress);
    }

    /// <summary>Loads a kernel opened with <see cref="KernelImage.Open"/>: its protected-mode part goes from the file
    /// straight into guest memory.</summary>
    public static BootPlan Load(GuestMemory memory, KernelImage image, ReadOnlySpan<byte> initrd,
        string commandLine, E820Map memoryMap, ulong rsdpAddress)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Setup is null) throw new ArgumentException("not a bzImage", nameof(image));
        return Load(memory, image.Setup, image.Head, default, image, initrd, commandLine, memoryMap, rsdpAddress);
    }

    /// <param name="payload">The protected-mode kernel, unless <paramref name="file"/> is given to read it from.</param>
    private static BootPlan Load(GuestMemory memory, SetupHeader header, ReadOnlySpan<byte> setup, ReadOnlySpan<byte> payload, KernelImage? file,
        ReadOnlySpan<byte> initrd, string commandLine, E820Map memoryMap, ulong rsdpAddress)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(memoryMap);

        if (file is not null && file.PayloadLength > int.MaxValue) throw new KernelImageException($"the kernel is too large ({file.Length} bytes)");
        int kernelLength = file is null ? payload.Length : (int)file.PayloadLength;
        ulong lowEnd = memoryMap.LowRamEnd;
        ulong needed = Math.Max((ulong)kernelLength, header.InitSize);

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
        ulong kernelEnd = Math.Max(load + (ulong)kernelLength, runtimeStart + header.InitSize);
        if (kernelEnd > lowEnd || !memoryMap.IsRam(load, (ulong)kernelLength))
            throw new BootException(
                $"the kernel needs memory up to 0x{kernelEnd:x} (init_size 0x{header.InitSize:x} from 0x{runtimeStart:x}) but RAM below 4 GiB ends at 0x{lowEnd:x}");
        var destination = memory.GetSpan(load, kernelLength);
        if (file is null) payload.CopyTo(destination);
        else file.ReadPayload(destination);
        memory.NotifyWritten(load, kernelLength); // as GuestMemory.Write would: the soft CPU must see new code

        ulong cmdline = CommandLine.Write(memory, commandLine, header.CommandLineSize);

        ulong initrdMaxEnd = (ulong)header.InitrdAddressMax + 1;
        ulong initrdAddress = InitrdPlacement.Place(memory, memoryMap, initrd, kernelEnd, initrdMaxEnd);

        WriteBootParams(memory, setup, header, cmdline, initrdAddress, (ulong)initrd.Length, memoryMap, rsdpAddress);

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

    private static void WriteBootParams(GuestMemory memory, ReadOnlySpan<byte> setup, SetupHeader header,
        ulong cmdline, ulong initrdAddress, ulong initrdSize, E820Map map, ulong rsdp)
    {
        var zp = memory.GetSpan(BootLayout.BootParams, BootParamsLayout.Size);
        zp.Clear();
        setup[SetupHeaderStart..header.HeaderEnd].CopyTo(zp[SetupHeaderStart..]);

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
