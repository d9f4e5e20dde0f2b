using System.Buffers.Binary;

namespace Xenon.Machine.Tests.Boot;

/// <summary>Builds small ELF64 x86-64 kernels: PT_LOAD segments plus an optional PT_NOTE with Xen notes.</summary>
internal sealed class SyntheticElf
{
    public sealed record Segment(ulong PhysicalAddress, byte[] Data, ulong MemorySize);
    public sealed record Note(string Name, uint Type, byte[] Desc);

    public List<Segment> Segments { get; } = [];
    public List<Note> Notes { get; } = [];
    public byte ElfClass { get; init; } = 2;
    public ushort Machine { get; init; } = 62;

    public static SyntheticElf Standard(uint entry = 0x1000100)
    {
        var elf = new SyntheticElf();
        var code = new byte[0x3000];
        for (int i = 0; i < code.Length; i++) code[i] = (byte)(i ^ 0x5a);
        elf.Segments.Add(new Segment(0x1000000, code, 0x5000));          // 0x2000 bytes of .bss
        elf.Notes.Add(new Note("GNU", 3, new byte[20]));                   // an unrelated note first
        elf.Notes.Add(new Note("Xen", 18, BitConverter.GetBytes(entry)));
        return elf;
    }

    public byte[] BuildNotes()
    {
        var notes = new List<byte>();
        foreach (var n in Notes)
        {
            byte[] name = [.. System.Text.Encoding.ASCII.GetBytes(n.Name), 0];
            notes.AddRange(BitConverter.GetBytes((uint)name.Length));
            notes.AddRange(BitConverter.GetBytes((uint)n.Desc.Length));
            notes.AddRange(BitConverter.GetBytes(n.Type));
            notes.AddRange(name);
            while (notes.Count % 4 != 0) notes.Add(0);
            notes.AddRange(n.Desc);
            while (notes.Count % 4 != 0) notes.Add(0);
        }
        return [.. notes];
    }

    public byte[] Build()
    {
        byte[] notes = BuildNotes();
        int phnum = Segments.Count + (Notes.Count > 0 ? 1 : 0);
        int offset = 64 + phnum * 56;
        var file = new List<byte>(new byte[offset]);
        var headers = new List<(uint Type, ulong Offset, ulong Paddr, ulong FileSize, ulong MemSize)>();
        foreach (var s in Segments)
        {
            headers.Add((1, (ulong)file.Count, s.PhysicalAddress, (ulong)s.Data.Length, s.MemorySize));
            file.AddRange(s.Data);
        }
        if (Notes.Count > 0)
        {
            headers.Add((4, (ulong)file.Count, 0, (ulong)notes.Length, (ulong)notes.Length));
            file.AddRange(notes);
        }
        var image = file.ToArray();
        var h = image.AsSpan();
        h[0] = 0x7f; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F';
        h[4] = ElfClass; h[5] = 1; h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], 0xffffffff81000000);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], (ushort)phnum);
        for (int i = 0; i < headers.Count; i++)
        {
            var ph = h.Slice(64 + i * 56, 56);
            var (type, off, paddr, filesz, memsz) = headers[i];
            BinaryPrimitives.WriteUInt32LittleEndian(ph, type);
            BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], off);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], paddr + 0xffffffff80000000);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], paddr);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], filesz);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memsz);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x200000);
        }
        return image;
    }
}
