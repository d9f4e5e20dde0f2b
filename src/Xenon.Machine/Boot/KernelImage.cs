using Microsoft.Win32.SafeHandles;

namespace Xenon.Machine.Boot;

/// <summary>
/// A kernel file, checked and ready to load. A bzImage keeps only its boot sector and setup code in memory: the
/// protected-mode kernel (14 MiB for Debian's) is read later from the file straight into guest RAM, so that it is not
/// first copied into a large managed array (zeroed, faulted in page by page, then copied again). An ELF (PVH) kernel
/// likewise keeps only its first bytes (ELF and program headers) and its notes; each PT_LOAD segment is read from the
/// file into guest RAM when loaded (Debian's vmlinux is 53 MB, 45 of them segments).
/// </summary>
public sealed class KernelImage
{
    /// <summary>Enough for any setup code: setup_sects is one byte, so at most 255 sectors plus the boot sector.</summary>
    private const int MaxSetupSize = 256 * 512;

    private KernelImage(string path, long length, byte[] head, SetupHeader? setup, ElfKernel? elf)
    {
        Path = path;
        Length = length;
        Head = head;
        Setup = setup;
        Elf = elf;
    }

    public string Path { get; }

    /// <summary>The file's length when it was opened.</summary>
    public long Length { get; }

    /// <summary>An ELF kernel's first bytes (at most 128 KiB: its headers), a bzImage's boot sector and setup code
    /// (<see cref="SetupHeader.SetupSize"/> bytes).</summary>
    public byte[] Head { get; }

    /// <summary>The parsed ELF kernel; null for a bzImage.</summary>
    public ElfKernel? Elf { get; }

    /// <summary>The bzImage's setup header; null for an ELF kernel.</summary>
    public SetupHeader? Setup { get; }

    public bool IsElf => Setup is null;

    /// <summary>Bytes of protected-mode kernel after the setup code (bzImage).</summary>
    public long PayloadLength => Setup is null ? 0 : Length - Setup.SetupSize;

    /// <summary>Reads and checks the kernel at <paramref name="path"/>. Throws <see cref="KernelImageException"/> for a
    /// file that is neither a bzImage nor a PVH ELF, and the file system's exceptions for one that cannot be read.</summary>
    public static KernelImage Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.OpenHandle(path);
        long length = RandomAccess.GetLength(file);
        var head = new byte[(int)Math.Min(length, MaxSetupSize)];
        ReadExactly(file, head, 0, path);
        if (ElfKernel.HasElfMagic(head))
        {
            var elf = ElfKernel.Parse(head, (ulong)length, (offset, count) =>
            {
                var notes = new byte[count];
                ReadExactly(file, notes, (long)offset, path);
                return notes;
            });
            return new KernelImage(path, length, head, null, elf);
        }
        var setup = SetupHeader.Parse(head, length);
        return new KernelImage(path, length, head[..setup.SetupSize], setup, null);
    }

    /// <summary>Fills <paramref name="destination"/> (<see cref="PayloadLength"/> bytes, in guest memory) with the
    /// protected-mode kernel, read from the file again. A file that changed length since <see cref="Open"/> is refused.</summary>
    public void ReadPayload(Span<byte> destination)
    {
        if (Setup is null) throw new InvalidOperationException("an ELF kernel has no bzImage payload");
        if (destination.Length != PayloadLength)
            throw new ArgumentException($"the payload is {PayloadLength} bytes, the destination {destination.Length}", nameof(destination));
        try
        {
            using var file = File.OpenHandle(Path);
            if (RandomAccess.GetLength(file) != Length)
                throw new KernelImageException($"the kernel file changed while the domain was built ({Length} bytes, now {RandomAccess.GetLength(file)})");
            ReadExactly(file, destination, Setup.SetupSize, Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read the kernel {Path}: {e.Message}");
        }
    }

    /// <summary>Fills <paramref name="destination"/> (in guest memory) with <paramref name="segment"/>'s file bytes,
    /// read from the file again. A file that changed length since <see cref="Open"/> is refused.</summary>
    public void ReadSegment(in ElfLoadSegment segment, Span<byte> destination)
    {
        if (Elf is null) throw new InvalidOperationException("a bzImage has no ELF segments");
        if ((ulong)destination.Length != segment.FileSize)
            throw new ArgumentException($"the segment has 0x{segment.FileSize:x} bytes in the file, the destination {destination.Length}", nameof(destination));
        try
        {
            using var file = File.OpenHandle(Path);
            if (RandomAccess.GetLength(file) != Length)
                throw new KernelImageException($"the kernel file changed while the domain was built ({Length} bytes, now {RandomAccess.GetLength(file)})");
            ReadExactly(file, destination, (long)segment.FileOffset, Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException($"cannot read the kernel {Path}: {e.Message}");
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> destination, long offset, string path)
    {
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(file, destination, offset);
            if (n == 0) throw new KernelImageException($"the kernel file {path} ended early (changed while it was read?)");
            destination = destination[n..];
            offset += n;
        }
    }
}
