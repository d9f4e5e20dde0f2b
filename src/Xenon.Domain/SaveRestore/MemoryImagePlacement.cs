using System.ComponentModel;
using Microsoft.Win32.SafeHandles;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// Puts a saved file's memory images into freshly built (all-zero) guest memory. A region of anonymous memory gets
/// each run of data chunks mapped privately from the file (no page is read now; all-zero chunks stay as they are).
/// A region the host shares with other processes (memfd) cannot take a private mapping: its data chunks are read
/// into it and checked against their CRCs at once, so a corrupt chunk there is refused before anything runs.
/// </summary>
public static class MemoryImagePlacement
{
    /// <summary>What was placed how.</summary>
    /// <param name="Mapped">Per image: mapped from the file (true) or read into memory (false).</param>
    public sealed record Result(bool[] Mapped, ulong MappedBytes, ulong ReadBytes)
    {
        public bool AnyMapped
        {
            get
            {
                // A loop, not Array.IndexOf<bool>: that instantiation has no ReadyToRun code (compiled inside the restore).
                foreach (bool m in Mapped)
                    if (m) return true;
                return false;
            }
        }
    }

    /// <exception cref="MemoryImageException">A mapping was refused, a read chunk is corrupt, or the file is short.</exception>
    public static Result Place(string path, SafeFileHandle file, GuestMemory memory, IReadOnlyList<MemoryImageLayout> images)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(images);
        var mapped = new bool[images.Count];
        ulong mappedBytes = 0, readBytes = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            var region = memory.Regions[image.RegionIndex];
            if (region.GuestAddress != image.Region.Gpa || region.Size != image.Region.Size)
                throw new MemoryImageException($"memory image of region {image.RegionIndex} (0x{image.Region.Gpa:x}+0x{image.Region.Size:x}) does not fit guest memory region 0x{region.GuestAddress:x}+0x{region.Size:x}");
            if (GuestMemoryFileImage.CanOverlay(memory, image.RegionIndex))
            {
                mappedBytes += Map(file, memory, image);
                mapped[i] = true;
            }
            else
            {
                readBytes += Read(file, memory, image);
            }
        }
        return new Result(mapped, mappedBytes, readBytes);
    }

    private static ulong Map(SafeFileHandle file, GuestMemory memory, MemoryImageLayout image)
    {
        ulong total = 0;
        int c = 0;
        while (c < image.ChunkCount)
        {
            if (image.IsZeroChunk(c))
            {
                c++;
                continue;
            }
            int first = c;
            ulong length = 0;
            while (c < image.ChunkCount && !image.IsZeroChunk(c)) length += (ulong)image.ChunkLength(c++);
            ulong offset = image.ChunkOffset(first);
            try
            {
                GuestMemoryFileImage.MapPrivate(memory, image.RegionIndex, offset, length, file, image.ImageOffset + (long)offset);
            }
            catch (Exception e) when (e is Win32Exception or ArgumentException)
            {
                throw new MemoryImageException($"cannot map chunks {first}–{c - 1} of the memory image of region {image.RegionIndex} " +
                                               $"(file offsets {image.ImageOffset + (long)offset}–{image.ImageOffset + (long)(offset + length)}): {e.Message}", e);
            }
            total += length;
        }
        return total;
    }

    private static ulong Read(SafeFileHandle file, GuestMemory memory, MemoryImageLayout image)
    {
        ulong total = 0;
        for (int c = 0; c < image.ChunkCount; c++)
        {
            if (image.IsZeroChunk(c)) continue;
            int length = image.ChunkLength(c);
            long offset = image.ImageOffset + (long)image.ChunkOffset(c);
            var chunk = memory.GetSpan(image.Region.Gpa + image.ChunkOffset(c), length);
            int have = 0;
            while (have < length)
            {
                int got = RandomAccess.Read(file, chunk[have..], offset + have);
                if (got == 0) throw new MemoryImageException($"the file ends at {offset + have}, inside chunk {c} of the memory image of region {image.RegionIndex}");
                have += got;
            }
            // The guest does not run yet: the bytes checked are the bytes it will see.
            uint computed = Crc32C.Compute(chunk), stored = image.ChunkCrc(c);
            if (computed != stored)
                throw new MemoryImageException($"memory image of region {image.RegionIndex} is corrupt: chunk {c} (file offsets {offset}–{offset + length}): " +
                                               $"stored CRC-32C 0x{stored:x8}, computed 0x{computed:x8}");
            total += (ulong)length;
        }
        return total;
    }
}

/// <summary>A saved memory image cannot be placed into guest memory; the message names the region, chunk and file offsets.</summary>
public sealed class MemoryImageException(string message, Exception? inner = null) : Exception(message, inner);
