using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>
/// The driver's half of a split ring, written straight into guest memory the way a guest's
/// virtio_ring would: descriptors, the avail ring and its index, and readers for the used ring.
/// </summary>
internal sealed class SplitRingDriver
{
    private readonly GuestMemory _memory;
    private int _nextFreeDescriptor;

    public SplitRingDriver(GuestMemory memory, ushort size, ulong descriptorTable = 0x1000, ulong availRing = 0x3000, ulong usedRing = 0x4000)
    {
        _memory = memory;
        Size = size;
        DescriptorTable = descriptorTable;
        AvailRing = availRing;
        UsedRing = usedRing;
    }

    public ushort Size { get; }
    public ulong DescriptorTable { get; }
    public ulong AvailRing { get; }
    public ulong UsedRing { get; }

    /// <summary>The driver's shadow of avail.idx: the next slot it will fill.</summary>
    public ushort AvailIdx { get; private set; }

    public VirtQueue CreateQueue(bool eventIdx = false, bool indirect = true, QueueLimits? limits = null, ushort? maxSize = null)
    {
        var q = new VirtQueue(_memory, maxSize ?? Size, limits)
        {
            Size = Size,
            DescriptorTable = DescriptorTable,
            AvailRing = AvailRing,
            UsedRing = UsedRing,
            EventIdx = eventIdx,
            IndirectDescriptors = indirect,
        };
        Assert.True(q.TryEnable(out var fault), fault.ToString());
        return q;
    }

    public void SetDescriptor(int index, ulong address, uint length, ushort flags, ushort next = 0)
        => WriteDescriptor(DescriptorTable + (ulong)index * 16, address, length, flags, next);

    public void WriteDescriptor(ulong at, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> d = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
        _memory.Write(at, d);
    }

    /// <summary>Builds a chain from free descriptors (allocated round-robin), returns its head. Buffers are (address, length, device-writable).</summary>
    public ushort AddChain(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        int head = _nextFreeDescriptor;
        for (int i = 0; i < buffers.Length; i++)
        {
            int index = (head + i) % Size;
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].Writable ? SplitRingLayout.DescFlagWrite : 0) | (last ? 0 : SplitRingLayout.DescFlagNext));
            SetDescriptor(index, buffers[i].Address, buffers[i].Length, flags, (ushort)((index + 1) % Size));
        }
        _nextFreeDescriptor = (head + buffers.Length) % Size;
        return (ushort)head;
    }

    /// <summary>Writes an indirect table at <paramref name="tableAddress"/> and a main descriptor naming it; returns that descriptor's index.</summary>
    public ushort AddIndirectChain(ulong tableAddress, params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].Writable ? SplitRingLayout.DescFlagWrite : 0) | (last ? 0 : SplitRingLayout.DescFlagNext));
            WriteDescriptor(tableAddress + (ulong)i * 16, buffers[i].Address, buffers[i].Length, flags, (ushort)(i + 1));
        }
        int index = _nextFreeDescriptor;
        SetDescriptor(index, tableAddress, (uint)(buffers.Length * 16), SplitRingLayout.DescFlagIndirect);
        _nextFreeDescriptor = (index + 1) % Size;
        return (ushort)index;
    }

    /// <summary>Puts <paramref name="head"/> in the next avail slot and publishes the new avail.idx.</summary>
    public void Offer(ushort head)
    {
        _memory.Write(AvailRing + 4 + 2UL * (ulong)(AvailIdx % Size), head);
        AvailIdx++;
        _memory.Write(AvailRing + 2, AvailIdx);
    }

    /// <summary>Publishes an arbitrary avail.idx (hostile drivers, or starting near the 2^16 wrap).</summary>
    public void SetAvailIdx(ushort value)
    {
        AvailIdx = value;
        _memory.Write(AvailRing + 2, value);
    }

    public void SetAvailFlags(ushort flags) => _memory.Write(AvailRing, flags);
    public void SetUsedEvent(ushort value) => _memory.Write(AvailRing + 4 + 2UL * Size, value);

    public ushort UsedFlags => _memory.Read<ushort>(UsedRing);
    public ushort UsedIdx => _memory.Read<ushort>(UsedRing + 2);
    public ushort AvailEvent => _memory.Read<ushort>(UsedRing + 4 + 8UL * Size);

    public (uint Id, uint Length) UsedElement(int slot)
    {
        ulong at = UsedRing + 4 + 8UL * (ulong)(slot % Size);
        return (_memory.Read<uint>(at), _memory.Read<uint>(at + 4));
    }
}
