using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>
/// The spec's chain rules written as plainly as possible, with its own memory reads, as an
/// oracle for the randomized test: it says whether a chain is valid and which segments it has.
/// </summary>
internal static class ReferenceChainWalker
{
    public static List<(ulong Address, uint Length, bool Writable)>? Walk(
        GuestMemory memory, ulong table, int size, int head, bool indirectAllowed, QueueLimits limits)
    {
        var result = new List<(ulong, uint, bool)>();
        ulong total = 0;
        bool sawWritable = false;

        bool Add(ulong address, uint length, ushort flags)
        {
            bool writable = (flags & 2) != 0;
            if (length == 0 || !memory.IsValidRange(address, length)) return false;
            if (!writable && sawWritable) return false;
            total += length;
            if (total > limits.MaxChainBytes) return false;
            sawWritable |= writable;
            result.Add((address, length, writable));
            return true;
        }

        if (head >= size) return null;
        int index = head;
        for (int steps = 1; ; steps++)
        {
            if (steps > size) return null;
            var (addr, len, flags, next) = ReadDescriptor(memory, table + 16UL * (ulong)index);
            if ((flags & 4) != 0)
            {
                if (!indirectAllowed || (flags & 1) != 0) return null;
                if (len == 0 || len % 16 != 0 || len / 16 > limits.MaxIndirectDescriptors) return null;
                if (!memory.IsValidRange(addr, len)) return null;
                int entries = (int)(len / 16);
                int j = 0;
                for (int inner = 1; ; inner++)
                {
                    if (inner > entries) return null;
                    var (a, l, f, n) = ReadDescriptor(memory, addr + 16UL * (ulong)j);
                    if ((f & 4) != 0 || !Add(a, l, f)) return null;
                    if ((f & 1) == 0) return result;
                    if (n >= entries) return null;
                    j = n;
                }
            }
            if (!Add(addr, len, flags)) return null;
            if ((flags & 1) == 0) return result;
            if (next >= size) return null;
            index = next;
        }
    }

    private static (ulong, uint, ushort, ushort) ReadDescriptor(GuestMemory memory, ulong at)
    {
        var raw = memory.GetSpan(at, 16);
        return (BinaryPrimitives.ReadUInt64LittleEndian(raw), BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(raw[12..]), BinaryPrimitives.ReadUInt16LittleEndian(raw[14..]));
    }
}
