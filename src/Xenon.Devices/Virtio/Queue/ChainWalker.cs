using System.Buffers.Binary;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// Walks one descriptor chain (direct descriptors, optionally ending in one indirect table) into
/// a <see cref="DescriptorChain"/>, checking every index, flag, length and address on the way.
/// The single place where the guest's descriptors are interpreted.
/// </summary>
internal static class ChainWalker
{
    public static QueueError Walk(
        GuestMemory memory, ReadOnlySpan<byte> table, int queueSize, ushort head,
        bool indirectNegotiated, QueueLimits limits, DescriptorChain chain, out ulong detail)
    {
        chain.Begin(memory, head);
        var error = WalkDirect(memory, table, queueSize, head, indirectNegotiated, limits, chain, out detail);
        if (error != QueueError.None) chain.Abandon();
        return error;
    }

    private static QueueError WalkDirect(
        GuestMemory memory, ReadOnlySpan<byte> table, int queueSize, ushort head,
        bool indirectNegotiated, QueueLimits limits, DescriptorChain chain, out ulong detail)
    {
        int index = head;
        // A well-formed chain visits each descriptor at most once, so more than queueSize steps is a loop.
        for (int visited = 0; ; visited++)
        {
            if (visited == queueSize)
            {
                detail = (ulong)queueSize;
                return QueueError.DescriptorLoop;
            }
            var d = Read(table, index);
            if ((d.Flags & SplitRingLayout.DescFlagIndirect) != 0)
            {
                if (!indirectNegotiated)
                {
                    detail = (ulong)index;
                    return QueueError.IndirectNotNegotiated;
                }
                if ((d.Flags & SplitRingLayout.DescFlagNext) != 0)
                {
                    detail = (ulong)index;
                    return QueueError.IndirectWithNext;
                }
                return WalkIndirect(memory, d, limits, chain, out detail);
            }
            var error = Append(memory, d, limits, chain, out detail);
            if (error != QueueError.None) return error;
            if ((d.Flags & SplitRingLayout.DescFlagNext) == 0) return QueueError.None;
            if (d.Next >= queueSize)
            {
                detail = d.Next;
                return QueueError.NextIndexOutOfRange;
            }
            index = d.Next;
        }
    }

    private static QueueError WalkIndirect(GuestMemory memory, Descriptor indirect, QueueLimits limits, DescriptorChain chain, out ulong detail)
    {
        // The WRITE flag of the descriptor naming the table means nothing (the spec says to ignore it).
        if (indirect.Length == 0 || indirect.Length % SplitRingLayout.DescriptorSize != 0)
        {
            detail = indirect.Length;
            return QueueError.IndirectBadLength;
        }
        uint entries = indirect.Length / SplitRingLayout.DescriptorSize;
        if (entries > (uint)limits.MaxIndirectDescriptors)
        {
            detail = entries;
            return QueueError.IndirectTooLarge;
        }
        if (!memory.TryGetSpan(indirect.Address, (int)indirect.Length, out var table))
        {
            detail = indirect.Address;
            return QueueError.IndirectOutsideMemory;
        }
        int index = 0;
        for (uint visited = 0; ; visited++)
        {
            if (visited == entries)
            {
                detail = entries;
                return QueueError.DescriptorLoop;
            }
            var d = Read(table, index);
            if ((d.Flags & SplitRingLayout.DescFlagIndirect) != 0)
            {
                detail = (ulong)index;
                return QueueError.NestedIndirect;
            }
            var error = Append(memory, d, limits, chain, out detail);
            if (error != QueueError.None) return error;
            if ((d.Flags & SplitRingLayout.DescFlagNext) == 0) return QueueError.None;
            if (d.Next >= entries)
            {
                detail = d.Next;
                return QueueError.NextIndexOutOfRange;
            }
            index = d.Next;
        }
    }

    private static QueueError Append(GuestMemory memory, Descriptor d, QueueLimits limits, DescriptorChain chain, out ulong detail)
    {
        detail = d.Address;
        if (d.Length == 0) return QueueError.ZeroLengthBuffer;
        // TryTranslate also rejects ranges that wrap past 2^64 or straddle a hole between regions.
        if (!memory.IsValidRange(d.Address, d.Length)) return QueueError.BufferOutsideMemory;
        if (chain.ReadableBytes + chain.WritableBytes + d.Length > limits.MaxChainBytes)
        {
            detail = limits.MaxChainBytes;
            return QueueError.ChainTooLarge;
        }
        bool writable = (d.Flags & SplitRingLayout.DescFlagWrite) != 0;
        return chain.TryAppend(d.Address, d.Length, writable) ? QueueError.None : QueueError.ReadableAfterWritable;
    }

    private static Descriptor Read(ReadOnlySpan<byte> table, int index)
    {
        var raw = table.Slice(index * SplitRingLayout.DescriptorSize, SplitRingLayout.DescriptorSize);
        return new Descriptor(
            BinaryPrimitives.ReadUInt64LittleEndian(raw),
            BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(raw[12..]),
            BinaryPrimitives.ReadUInt16LittleEndian(raw[14..]));
    }

    private readonly record struct Descriptor(ulong Address, uint Length, ushort Flags, ushort Next);
}
