using System.Buffers.Binary;
using Xenon.Machine.Boot;

namespace Xenon.Machine.Tests.Boot;

public sealed class ElfKernelTests
{
    [Fact]
    public void FindsThePvhEntryNoteAndLoadSegments()
    {
        var elf = ElfKernel.Parse(SyntheticElf.Standard(0x1000123).Build());
        Assert.Equal(0x1000123u, elf.PvhEntry);
        var s = Assert.Single(elf.Segments);
        Assert.Equal(0x1000000UL, s.PhysicalAddress);
        Assert.Equal(0x3000UL, s.FileSize);
        Assert.Equal(0x5000UL, s.MemorySize);
    }

    [Fact]
    public void AcceptsAnEightByteEntryNote()
    {
        // Linux emits the note with _ASM_PTR, a quad on x86-64.
        var b = SyntheticElf.Standard();
        b.Notes[1] = new SyntheticElf.Note("Xen", 18, BitConverter.GetBytes(0x1000200UL));
        Assert.Equal(0x1000200u, ElfKernel.Parse(b.Build()).PvhEntry);
    }

    private static string Reject(byte[] image) => Assert.Throws<KernelImageException>(() => ElfKernel.Parse(image)).Message;

    [Fact]
    public void RejectsNonElf() => Assert.Contains("not an ELF file", Reject(new byte[100]));

    [Fact]
    public void RejectsElf32() => Assert.Contains("ELF64", Reject(new SyntheticElf { ElfClass = 1 }.Build()));

    [Fact]
    public void RejectsOtherMachines() => Assert.Contains("x86-64", Reject(new SyntheticElf { Machine = 183 }.Build()));

    [Fact]
    public void RejectsKernelWithoutPvhNote()
    {
        var b = SyntheticElf.Standard();
        b.Notes.RemoveAt(1);
        Assert.Contains("XEN_ELFNOTE_PHYS32_ENTRY", Reject(b.Build()));
    }

    [Fact]
    public void RejectsANoteWithTheRightTypeButAnotherOwner()
    {
        var b = SyntheticElf.Standard();
        b.Notes[1] = new SyntheticElf.Note("Xe", 18, BitConverter.GetBytes(0x1000100u));
        Assert.Contains("no PVH entry point", Reject(b.Build()));
    }

    [Fact]
    public void RejectsOddSizedEntryNote()
    {
        var b = SyntheticElf.Standard();
        b.Notes[1] = new SyntheticElf.Note("Xen", 18, new byte[6]);
        Assert.Contains("6-byte value", Reject(b.Build()));
    }

    [Fact]
    public void RejectsEntryAbove4GiB()
    {
        var b = SyntheticElf.Standard();
        b.Notes[1] = new SyntheticElf.Note("Xen", 18, BitConverter.GetBytes(0x1_0000_0000UL));
        Assert.Contains("above 4 GiB", Reject(b.Build()));
    }

    [Fact]
    public void RejectsANoteThatOverrunsItsSegment()
    {
        var std = SyntheticElf.Standard();
        var image = std.Build();
        // The notes are the last thing in the file; the first note's descsz (20) becomes huge.
        int notesAt = image.Length - std.BuildNotes().Length;
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(notesAt + 4), 0x7fff_fff0);
        Assert.Contains("runs past the segment", Reject(image));
    }

    [Fact]
    public void RejectsASegmentPastTheEndOfTheFile()
    {
        var image = SyntheticElf.Standard().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(64 + 32), 0x100000);  // p_filesz of PT_LOAD
        Assert.Contains("runs past the end of the file", Reject(image));
    }

    [Fact]
    public void RejectsFileSizeLargerThanMemorySize()
    {
        var b = new SyntheticElf();
        b.Segments.Add(new SyntheticElf.Segment(0x1000000, new byte[0x100], 0x80));
        b.Notes.Add(new SyntheticElf.Note("Xen", 18, BitConverter.GetBytes(0x1000000u)));
        Assert.Contains("larger than p_memsz", Reject(b.Build()));
    }

    [Fact]
    public void RejectsProgramHeadersPastTheEnd()
    {
        var image = SyntheticElf.Standard().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), (ulong)image.Length - 10);
        Assert.Contains("program headers", Reject(image));
    }

    [Fact]
    public void FromItsFirstBytesFetchesOnlyTheNotesBeyondThem()
    {
        var image = SyntheticElf.Standard(entry: 0x1000040).Build();
        var head = image.AsSpan(0, 64 + 2 * 56).ToArray(); // headers only: the segment and the notes lie beyond
        var asked = new List<(ulong, int)>();
        var elf = ElfKernel.Parse(head, (ulong)image.Length, (offset, count) =>
        {
            asked.Add((offset, count));
            return image.AsSpan((int)offset, count).ToArray();
        });
        Assert.Equal(0x1000040u, elf.PvhEntry);
        Assert.Equal(ElfKernel.Parse(image).Segments, elf.Segments);
        Assert.Single(asked);
    }

    [Fact]
    public void FromItsFirstBytesRejectsProgramHeadersBeyondThem()
    {
        var image = SyntheticElf.Standard().Build();
        var e = Assert.Throws<KernelImageException>(() => ElfKernel.Parse(image.AsSpan(0, 100), (ulong)image.Length, null));
        Assert.Contains("lie beyond the first 100 bytes", e.Message);
    }

    [Fact]
    public void FromItsFirstBytesChecksSegmentsAgainstTheFileLength()
    {
        var image = SyntheticElf.Standard().Build();
        var e = Assert.Throws<KernelImageException>(() => ElfKernel.Parse(image.AsSpan(0, 64 + 2 * 56), (ulong)image.Length - 100, (_, _) => []));
        Assert.Contains("past the end of the file", e.Message);
    }

    [Fact]
    public void FromItsFirstBytesRefusesAHugeNoteSegmentWithoutReadingIt()
    {
        var image = SyntheticElf.Standard().Build();
        // the PT_NOTE header (the second) claims 2 MiB of notes in a file made that long
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(64 + 56 + 32), 2 << 20);
        var e = Assert.Throws<KernelImageException>(() => ElfKernel.Parse(image.AsSpan(0, 64 + 2 * 56), 64 << 20,
            (_, _) => throw new InvalidOperationException("read a huge note segment")));
        Assert.Contains("PT_NOTE segment", e.Message);
    }

    [Fact]
    public void RejectsTruncatedHeader() => Assert.Contains("truncated", Reject(SyntheticElf.Standard().Build()[..40]));

    [Fact]
    public void SurvivesRandomCorruption()
    {
        var rng = new Random(7);
        var original = SyntheticElf.Standard().Build();
        for (int round = 0; round < 2000; round++)
        {
            var image = (byte[])original.Clone();
            for (int k = 0; k < 4; k++) image[rng.Next(0, 64 + 2 * 56)] = (byte)rng.Next(256);
            try { ElfKernel.Parse(image); }
            catch (KernelImageException) { }
        }
    }
}
