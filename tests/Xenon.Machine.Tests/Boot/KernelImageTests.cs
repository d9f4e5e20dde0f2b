using Xenon.Machine.Boot;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Boot;

public sealed class KernelImageTests : IDisposable
{
    private const ulong Rsdp = 0xe0000;
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-kernelimage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(byte[] bytes, string name = "vmlinuz")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void ABzImageKeepsOnlyItsSetupCodeInMemory()
    {
        var synthetic = new SyntheticBzImage { KernelBytes = 0x30000 };
        var image = synthetic.Build();
        var kernel = KernelImage.Open(WriteFile(image));
        Assert.False(kernel.IsElf);
        Assert.Equal(image.Length, kernel.Length);
        Assert.Equal(synthetic.SetupSize, kernel.Head.Length);
        Assert.Equal(0x30000, kernel.PayloadLength);
    }

    [Fact]
    public void LoadingFromTheFileGivesTheSameGuestMemoryAsLoadingFromBytes()
    {
        var image = new SyntheticBzImage { KernelBytes = 0x24680 }.Build();
        var initrd = new byte[0x1234];
        new Random(2).NextBytes(initrd);
        using var fromBytes = GuestMemory.CreateX86(64 * X86Layout.MiB);
        using var fromFile = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var a = BzImageLoader.Load(fromBytes, image, initrd, "console=ttyS0", E820Map.ForGuest(fromBytes), Rsdp);
        var b = BzImageLoader.Load(fromFile, KernelImage.Open(WriteFile(image)), initrd, "console=ttyS0", E820Map.ForGuest(fromFile), Rsdp);
        Assert.Equal((a.KernelStart, a.KernelEnd, a.EntryPoint, a.InitrdAddress, a.CommandLineAddress, a.BootInfoAddress),
            (b.KernelStart, b.KernelEnd, b.EntryPoint, b.InitrdAddress, b.CommandLineAddress, b.BootInfoAddress));
        // the kernel, the zero page and the initrd, compared over the first 64 MiB
        const int Chunk = 1 << 20;
        var x = new byte[Chunk];
        var y = new byte[Chunk];
        for (ulong gpa = 0; gpa < 64 * X86Layout.MiB; gpa += Chunk)
        {
            fromBytes.Read(gpa, x);
            fromFile.Read(gpa, y);
            Assert.True(x.AsSpan().SequenceEqual(y), $"guest memory differs in the MiB at 0x{gpa:x}");
        }
    }

    [Fact]
    public void AFileThatIsNeitherBzImageNorElfIsRefusedAtOpen()
    {
        string path = WriteFile(new byte[4096]);
        var e = Assert.Throws<KernelImageException>(() => KernelImage.Open(path));
        Assert.Contains("not a Linux bzImage", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedBzImageIsRefusedAtOpen()
    {
        var image = new SyntheticBzImage { KernelBytes = 0x10000 }.Build();
        string path = WriteFile(image[..(image.Length - 0x100)]);
        var e = Assert.Throws<KernelImageException>(() => KernelImage.Open(path));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKernelFileThatChangesBeforeTheLoadIsRefused()
    {
        var image = new SyntheticBzImage().Build();
        string path = WriteFile(image);
        var kernel = KernelImage.Open(path);
        File.WriteAllBytes(path, image[..(image.Length / 2)]);
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var e = Assert.Throws<KernelImageException>(() =>
            BzImageLoader.Load(memory, kernel, [], "console=ttyS0", E820Map.ForGuest(memory), Rsdp));
        Assert.Contains("changed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsTheFileSystemsError()
    {
        Assert.Throws<FileNotFoundException>(() => KernelImage.Open(Path.Combine(_dir, "absent")));
    }

    [Fact]
    public void ASmallElfKernelIsHeldWhole()
    {
        var elf = SyntheticElf.Standard().Build();
        var kernel = KernelImage.Open(WriteFile(elf, "vmlinux"));
        Assert.True(kernel.IsElf);
        Assert.Equal(elf, kernel.Head);
        Assert.Equal(0, kernel.PayloadLength);
        Assert.Equal(0x1000100u, kernel.Elf!.PvhEntry);
    }

    // A segment larger than the 128 KiB head puts the notes, which follow it in the synthetic file, beyond the head.
    private static SyntheticElf LargeElf()
    {
        var elf = SyntheticElf.Standard(entry: 0x1000200);
        var data = new byte[0x31234];
        new Random(7).NextBytes(data);
        elf.Segments.Add(new SyntheticElf.Segment(0x1400000, data, 0x40000));
        return elf;
    }

    [Fact]
    public void ALargeElfKernelKeepsOnlyItsFirstBytesAndReadsItsNotesFromTheFile()
    {
        var image = LargeElf().Build();
        var kernel = KernelImage.Open(WriteFile(image, "vmlinux"));
        Assert.Equal(128 * 1024, kernel.Head.Length);
        Assert.Equal(image.AsSpan(0, kernel.Head.Length).ToArray(), kernel.Head);
        Assert.Equal(0x1000200u, kernel.Elf!.PvhEntry);
        Assert.Equal(2, kernel.Elf.Segments.Count);
    }

    [Fact]
    public void LoadingAnElfFromTheFileGivesTheSameGuestMemoryAsLoadingFromBytes()
    {
        var image = LargeElf().Build();
        var initrd = new byte[0x2345];
        new Random(3).NextBytes(initrd);
        using var fromBytes = GuestMemory.CreateX86(64 * X86Layout.MiB);
        using var fromFile = GuestMemory.CreateX86(64 * X86Layout.MiB);
        // stale bytes where the .bss goes: both loads must clear them
        fromBytes.GetSpan(0x1400000, 0x40000).Fill(0xcc);
        fromFile.GetSpan(0x1400000, 0x40000).Fill(0xcc);
        var a = PvhLoader.Load(fromBytes, image, initrd, "console=ttyS0", E820Map.ForGuest(fromBytes), Rsdp);
        var b = PvhLoader.Load(fromFile, KernelImage.Open(WriteFile(image, "vmlinux")), initrd, "console=ttyS0", E820Map.ForGuest(fromFile), Rsdp);
        Assert.Equal((a.KernelStart, a.KernelEnd, a.EntryPoint, a.InitrdAddress, a.CommandLineAddress, a.BootInfoAddress),
            (b.KernelStart, b.KernelEnd, b.EntryPoint, b.InitrdAddress, b.CommandLineAddress, b.BootInfoAddress));
        Assert.Equal(0x1440000ul, b.KernelEnd);
        const int Chunk = 1 << 20;
        var x = new byte[Chunk];
        var y = new byte[Chunk];
        for (ulong gpa = 0; gpa < 64 * X86Layout.MiB; gpa += Chunk)
        {
            fromBytes.Read(gpa, x);
            fromFile.Read(gpa, y);
            Assert.True(x.AsSpan().SequenceEqual(y), $"guest memory differs in the MiB at 0x{gpa:x}");
        }
        Assert.True(fromFile.GetSpan(0x1431234, 0x40000 - 0x31234).IndexOfAnyExcept((byte)0) < 0, "the segment's .bss was not cleared");
    }

    [Fact]
    public void AnElfKernelThatChangedLengthAfterOpenIsRefusedAtLoad()
    {
        var image = LargeElf().Build();
        string path = WriteFile(image, "vmlinux");
        var kernel = KernelImage.Open(path);
        File.WriteAllBytes(path, image[..^4096]);
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var e = Assert.Throws<KernelImageException>(() => PvhLoader.Load(memory, kernel, [], "", E820Map.ForGuest(memory), Rsdp));
        Assert.Contains("changed", e.Message);
    }
}
