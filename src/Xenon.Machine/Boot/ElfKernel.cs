using System.Buffers.Binary;

namespace Xenon.Machine.Boot;

/// <summary>One PT_LOAD segment of an ELF kernel.</summary>
public readonly record struct ElfLoadSegment(ulong FileOffset, ulong PhysicalAddress, ulong FileSize, ulong MemorySize);

/// <summary>
/// The parts of an ELF64 x86-64 kernel (vmlinux) a PVH boot needs: its PT_LOAD segments and
/// the XEN_ELFNOTE_PHYS32_ENTRY note. Every offset and size is checked against the file.
/// </summary>
public sealed class ElfKernel
{
    public const uint XenElfNotePhys32Entry = 18;

    private const int ElfHeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const ushort MachineX86_64 = 62;
    private const ushort TypeExec = 2, TypeDyn = 3;
    private const uint PtLoad = 1, PtNote = 4;
    private const int MaxProgramHeaders = 256;
    // Notes are a few hundred bytes; a bound keeps a damaged header from asking for gigabytes.
    private const ulong MaxNoteSegment = 1 << 20;

    private ElfKernel(ElfLoadSegment[] segments, uint pvhEntry)
    {
        Segments = segments;
        PvhEntry = pvhEntry;
    }

    public IReadOnlyList<ElfLoadSegment> Segments { get; }

    /// <summary>32-bit physical entry point from the Xen PHYS32_ENTRY note.</summary>
    public uint PvhEntry { get; }

    public static bool HasElfMagic(ReadOnlySpan<byte> image)
        => image.Length >= 4 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    public static ElfKernel Parse(ReadOnlySpan<byte> image) => Parse(image, (ulong)image.Length, null);

    /// <summary>Parses a kernel of which only the first bytes are in memory: <paramref name="head"/> must hold the ELF
    /// and program headers; a note segment beyond it is fetched with <paramref name="readNotes"/> (file offset, length).
    /// Segment bounds are checked against <paramref name="fileLength"/>.</summary>
    public static ElfKernel Parse(ReadOnlySpan<byte> head, ulong fileLength, Func<ulong, int, byte[]>? readNotes)
    {
        var image = head;
        if (!HasElfMagic(image)) throw new KernelImageException("not an ELF file: no \\x7fELF magic");
        if (image.Length < ElfHeaderSize) throw new KernelImageException($"ELF file is truncated inside its header ({image.Length} bytes)");
        if (image[4] != 2) throw new KernelImageException("not an ELF64 file (EI_CLASS is not ELFCLASS64)");
        if (image[5] != 1) throw new KernelImageException("not a little-endian ELF file");
        ushort type = U16(image, 16);
        if (type != TypeExec && type != TypeDyn) throw new KernelImageException($"ELF type {type} is not an executable");
        ushort machine = U16(image, 18);
        if (machine != MachineX86_64) throw new KernelImageException($"ELF machine {machine} is not x86-64 (62)");

        ulong phoff = U64(image, 32);
        ushort phentsize = U16(image, 54);
        ushort phnum = U16(image, 56);
        if (phnum == 0) throw new KernelImageException("ELF file has no program headers");
        if (phnum > MaxProgramHeaders) throw new KernelImageException($"ELF file has {phnum} program headers (more than {MaxProgramHeaders})");
        if (phentsize != ProgramHeaderSize) throw new KernelImageException($"ELF program header size is {phentsize}, expected {ProgramHeaderSize}");
        if (!InFile(fileLength, phoff, (ulong)phnum * ProgramHeaderSize))
            throw new KernelImageException($"ELF program headers at 0x{phoff:x} ({phnum} × {phentsize}) run past the end of the file");
        if (!InFile((ulong)image.Length, phoff, (ulong)phnum * ProgramHeaderSize))
            throw new KernelImageException($"ELF program headers at 0x{phoff:x} ({phnum} × {phentsize}) lie beyond the first {image.Length} bytes, which is all that is read to find them");

        var segments = new List<ElfLoadSegment>();
        uint? entry = null;
        for (int i = 0; i < phnum; i++)
        {
            var ph = image.Slice((int)phoff + i * ProgramHeaderSize, ProgramHeaderSize);
            uint ptype = U32(ph, 0);
            ulong offset = U64(ph, 8), paddr = U64(ph, 24), filesz = U64(ph, 32), memsz = U64(ph, 40);
            if (ptype == PtLoad)
            {
                if (!InFile(fileLength, offset, filesz))
                    throw new KernelImageException($"PT_LOAD segment {i} (file 0x{offset:x}+0x{filesz:x}) runs past the end of the file");
                if (filesz > memsz)
                    throw new KernelImageException($"PT_LOAD segment {i} has p_filesz 0x{filesz:x} larger than p_memsz 0x{memsz:x}");
                if (paddr + memsz < paddr)
                    throw new KernelImageException($"PT_LOAD segment {i} at 0x{paddr:x}+0x{memsz:x} wraps around");
                if (memsz != 0) segments.Add(new ElfLoadSegment(offset, paddr, filesz, memsz));
            }
            else if (ptype == PtNote)
            {
                if (!InFile(fileLength, offset, filesz))
                    throw new KernelImageException($"PT_NOTE segment {i} (file 0x{offset:x}+0x{filesz:x}) runs past the end of the file");
                if (entry is not null) continue;
                if (InFile((ulong)image.Length, offset, filesz)) entry = FindPhys32Entry(image.Slice((int)offset, (int)filesz));
                else if (filesz > MaxNoteSegment)
                    throw new KernelImageException($"PT_NOTE segment {i} is 0x{filesz:x} bytes (more than 0x{MaxNoteSegment:x})");
                else if (readNotes is not null) entry = FindPhys32Entry(readNotes(offset, (int)filesz));
            }
        }
        if (segments.Count == 0) throw new KernelImageException("ELF file has no PT_LOAD segments");
        if (entry is null)
            throw new KernelImageException("ELF kernel has no PVH entry point (no XEN_ELFNOTE_PHYS32_ENTRY note); build it with CONFIG_PVH=y or boot the bzImage");
        return new ElfKernel([.. segments], entry.Value);
    }

    /// <summary>Walks the notes of one PT_NOTE segment: namesz, descsz, type, name and desc each padded to 4 bytes.</summary>
    private static uint? FindPhys32Entry(ReadOnlySpan<byte> notes)
    {
        int at = 0;
        while (notes.Length - at >= 12)
        {
            uint namesz = U32(notes, at), descsz = U32(notes, at + 4), type = U32(notes, at + 8);
            ulong nameStart = (ulong)at + 12;
            ulong descStart = nameStart + Align4(namesz);
            ulong next = descStart + Align4(descsz);
            if (next > (ulong)notes.Length)
                throw new KernelImageException($"ELF note at offset {at} of its segment runs past the segment");
            var name = notes.Slice((int)nameStart, (int)namesz);
            if (type == XenElfNotePhys32Entry && IsXenName(name))
            {
                var desc = notes.Slice((int)descStart, (int)descsz);
                ulong value = desc.Length switch
                {
                    4 => U32(desc, 0),
                    8 => U64(desc, 0),
                    _ => throw new KernelImageException($"XEN_ELFNOTE_PHYS32_ENTRY has a {desc.Length}-byte value; expected 4 or 8"),
                };
                if (value > uint.MaxValue)
                    throw new KernelImageException($"PVH entry point 0x{value:x} is above 4 GiB");
                return (uint)value;
            }
            at = (int)next;
        }
        return null;
    }

    private static bool IsXenName(ReadOnlySpan<byte> name)
        => name.SequenceEqual("Xen\0"u8) || name.SequenceEqual("Xen"u8);

    private static ulong Align4(uint value) => ((ulong)value + 3) & ~3UL;

    private static bool InFile(ulong fileLength, ulong offset, ulong length)
        => offset <= fileLength && length <= fileLength - offset;

    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
    private static ulong U64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);
}
