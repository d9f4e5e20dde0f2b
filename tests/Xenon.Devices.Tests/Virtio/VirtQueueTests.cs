using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>Well-formed rings, as a Linux driver builds them: chains, indirect tables, index wrap, used ring contents.</summary>
public sealed class VirtQueueTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);

    public void Dispose() => _memory.Dispose();

    private static DescriptorChain Pop(VirtQueue q)
    {
        Assert.True(q.TryPopAvailable(out var chain, out var fault), $"pop failed: {fault}");
        return chain;
    }

    [Fact]
    public void EmptyQueuePopsNothingWithoutFault()
    {
        var q = new SplitRingDriver(_memory, 16).CreateQueue();
        Assert.False(q.HasAvailable());
        Assert.False(q.TryPopAvailable(out var chain, out var fault));
        Assert.Null(chain);
        Assert.Equal(QueueFault.None, fault);
    }

    [Fact]
    public void DisabledQueuePopsNothing()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = new VirtQueue(_memory, 16);
        driver.Offer(driver.AddChain((0x10000, 64, false)));
        Assert.False(q.Ready);
        Assert.False(q.TryPopAvailable(out _, out var fault));
        Assert.False(fault.IsError);
        Assert.False(q.AddUsed(0, 0));
        Assert.False(q.NeedsNotification());
    }

    [Fact]
    public void SingleReadableDescriptor()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        _memory.Write(0x10000, "hello"u8);
        driver.Offer(driver.AddChain((0x10000, 5, false)));

        Assert.True(q.HasAvailable());
        var chain = Pop(q);
        Assert.Equal(0, chain.HeadIndex);
        Assert.Equal([new DescriptorSegment(0x10000, 5)], chain.Readable.ToArray());
        Assert.True(chain.Writable.IsEmpty);
        Assert.Equal(5UL, chain.ReadableBytes);
        Assert.Equal(0UL, chain.WritableBytes);
        var buf = new byte[8];
        Assert.Equal(5, chain.CopyFromReadable(buf));
        Assert.Equal("hello"u8.ToArray(), buf[..5]);
        Assert.Equal(1, q.NextAvail);
        Assert.False(q.HasAvailable());
    }

    [Fact]
    public void ChainSplitsReadableThenWritableAndCopiesAcrossSegments()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        _memory.Write(0x10000, "abc"u8);
        _memory.Write(0x20000, "defgh"u8);
        ushort head = driver.AddChain((0x10000, 3, false), (0x20000, 5, false), (0x30000, 2, true), (0x40000, 6, true));
        driver.Offer(head);

        var chain = Pop(q);
        Assert.Equal(head, chain.HeadIndex);
        Assert.Equal([new DescriptorSegment(0x10000, 3), new DescriptorSegment(0x20000, 5)], chain.Readable.ToArray());
        Assert.Equal([new DescriptorSegment(0x30000, 2), new DescriptorSegment(0x40000, 6)], chain.Writable.ToArray());
        Assert.Equal(4, chain.Segments.Length);
        Assert.Equal(8UL, chain.ReadableBytes);
        Assert.Equal(8UL, chain.WritableBytes);

        var all = new byte[8];
        Assert.Equal(8, chain.CopyFromReadable(all));
        Assert.Equal("abcdefgh"u8.ToArray(), all);
        var mid = new byte[4];
        Assert.Equal(4, chain.CopyFromReadable(mid, offset: 2));
        Assert.Equal("cdef"u8.ToArray(), mid);
        var tail = new byte[10];
        Assert.Equal(1, chain.CopyFromReadable(tail, offset: 7));
        Assert.Equal(0, chain.CopyFromReadable(tail, offset: 8));

        Assert.Equal(8, chain.CopyToWritable("12345678"u8));
        Assert.Equal("12"u8.ToArray(), _memory.GetSpan(0x30000, 2).ToArray());
        Assert.Equal("345678"u8.ToArray(), _memory.GetSpan(0x40000, 6).ToArray());
        Assert.Equal(3, chain.CopyToWritable("XYZ"u8, offset: 1));
        Assert.Equal("1X"u8.ToArray(), _memory.GetSpan(0x30000, 2).ToArray());
        Assert.Equal("YZ5678"u8.ToArray(), _memory.GetSpan(0x40000, 6).ToArray());
        Assert.Equal(8, chain.CopyToWritable(new byte[20]));
    }

    [Fact]
    public void IndirectTableIsWalkedAndTheWriteFlagOfItsDescriptorIgnored()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        ushort head = driver.AddIndirectChain(0x8000, (0x10000, 16, false), (0x20000, 512, true), (0x30000, 1, true));
        // Linux never sets WRITE on the table's descriptor, but the spec says a device ignores it if present.
        driver.SetDescriptor(head, 0x8000, 48, SplitRingLayout.DescFlagIndirect | SplitRingLayout.DescFlagWrite);
        driver.Offer(head);

        var chain = Pop(q);
        Assert.Equal(head, chain.HeadIndex);
        Assert.Equal([new DescriptorSegment(0x10000, 16)], chain.Readable.ToArray());
        Assert.Equal([new DescriptorSegment(0x20000, 512), new DescriptorSegment(0x30000, 1)], chain.Writable.ToArray());
    }

    [Fact]
    public void IndirectTableFollowsNextInsideTheTableInAnyOrder()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        // Entries 2 -> 0 -> 1 inside a three-entry table; the walk starts at entry 0 of the table.
        driver.WriteDescriptor(0x8000 + 0, 0x10000, 10, SplitRingLayout.DescFlagNext, 2);
        driver.WriteDescriptor(0x8000 + 32, 0x20000, 20, SplitRingLayout.DescFlagNext, 1);
        driver.WriteDescriptor(0x8000 + 16, 0x30000, 30, SplitRingLayout.DescFlagWrite, 0);
        driver.SetDescriptor(5, 0x8000, 48, SplitRingLayout.DescFlagIndirect);
        driver.Offer(5);

        var chain = Pop(q);
        Assert.Equal([new DescriptorSegment(0x10000, 10), new DescriptorSegment(0x20000, 20)], chain.Readable.ToArray());
        Assert.Equal([new DescriptorSegment(0x30000, 30)], chain.Writable.ToArray());
    }

    [Fact]
    public void DirectDescriptorsMayEndInAnIndirectTable()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        driver.WriteDescriptor(0x8000, 0x20000, 64, SplitRingLayout.DescFlagWrite, 0);
        driver.SetDescriptor(3, 0x10000, 16, SplitRingLayout.DescFlagNext, 9);
        driver.SetDescriptor(9, 0x8000, 16, SplitRingLayout.DescFlagIndirect);
        driver.Offer(3);

        var chain = Pop(q);
        Assert.Equal([new DescriptorSegment(0x10000, 16)], chain.Readable.ToArray());
        Assert.Equal([new DescriptorSegment(0x20000, 64)], chain.Writable.ToArray());
    }

    [Fact]
    public void ChainOfExactlyQueueSizeDescriptorsIsAccepted()
    {
        var driver = new SplitRingDriver(_memory, 8);
        var q = driver.CreateQueue();
        var buffers = new (ulong, uint, bool)[8];
        for (int i = 0; i < 8; i++) buffers[i] = (0x10000 + (ulong)i * 0x100, 0x100, i >= 4);
        driver.Offer(driver.AddChain(buffers));
        var chain = Pop(q);
        Assert.Equal(4, chain.Readable.Length);
        Assert.Equal(4, chain.Writable.Length);
    }

    [Fact]
    public void UsedRingGetsElementsAndIndexInOrder()
    {
        var driver = new SplitRingDriver(_memory, 4);
        var q = driver.CreateQueue();
        ushort a = driver.AddChain((0x10000, 8, true));
        ushort b = driver.AddChain((0x11000, 8, false), (0x12000, 8, true));
        driver.Offer(a);
        driver.Offer(b);
        var first = Pop(q).HeadIndex;
        var second = Pop(q).HeadIndex;
        Assert.Equal((a, b), (first, second));

        // Completion order is the device's choice: complete b before a.
        Assert.True(q.AddUsed(second, 8));
        Assert.Equal(1, driver.UsedIdx);
        Assert.True(q.AddUsed(first, 3));
        Assert.Equal(2, driver.UsedIdx);
        Assert.Equal((b, 8u), driver.UsedElement(0));
        Assert.Equal((a, 3u), driver.UsedElement(1));
        Assert.Equal(2, q.NextUsed);
    }

    [Fact]
    public void AddUsedRejectsAHeadBeyondTheQueueAsADeviceBug()
    {
        var q = new SplitRingDriver(_memory, 4).CreateQueue();
        Assert.Throws<ArgumentOutOfRangeException>(() => q.AddUsed(4, 0));
    }

    [Fact]
    public void IndicesWrapPast65535()
    {
        var driver = new SplitRingDriver(_memory, 4);
        var q = driver.CreateQueue();
        var state = q.GetState() with { NextAvail = 65533, NextUsed = 65533 };
        q.SetState(state);
        driver.SetAvailIdx(65533);

        var expected = new List<(uint, uint)>();
        for (int i = 0; i < 6; i++)
        {
            ushort head = driver.AddChain((0x10000 + (ulong)i * 0x1000, 100, true));
            driver.Offer(head);
            var chain = Pop(q);
            Assert.Equal(head, chain.HeadIndex);
            Assert.Equal(0x10000 + (ulong)i * 0x1000, chain.Writable[0].Address);
            Assert.True(q.AddUsed(chain.HeadIndex, (uint)i));
            expected.Add((head, (uint)i));
            Assert.Equal((ushort)(65533 + i + 1), driver.UsedIdx);
            Assert.Equal((head, (uint)i), driver.UsedElement((ushort)(65533 + i)));
        }
        Assert.Equal(3, q.NextAvail);
        Assert.Equal(3, q.NextUsed);
    }

    [Fact]
    public void ManyRoundTripsThroughTheWholeIndexSpace()
    {
        var driver = new SplitRingDriver(_memory, 8);
        var q = driver.CreateQueue();
        for (int i = 0; i < 70_000; i++)
        {
            // Two chains in flight at a time, so ring slots and indices drift apart from descriptor numbers.
            ushort h1 = driver.AddChain((0x10000, 4, false), (0x11000, 4, true));
            ushort h2 = driver.AddChain((0x12000, 4, true));
            driver.Offer(h1);
            driver.Offer(h2);
            Assert.Equal(h1, Pop(q).HeadIndex);
            Assert.Equal(h2, Pop(q).HeadIndex);
            Assert.True(q.AddUsed(h2, 4));
            Assert.True(q.AddUsed(h1, 4));
        }
        Assert.Equal(unchecked((ushort)140_000), q.NextAvail);
        Assert.Equal(unchecked((ushort)140_000), driver.UsedIdx);
    }

    [Fact]
    public void CallerOwnedChainsHoldSeveralRequestsAtOnce()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        driver.Offer(driver.AddChain((0x10000, 1, false)));
        driver.Offer(driver.AddChain((0x20000, 2, true)));
        var c1 = new DescriptorChain();
        var c2 = new DescriptorChain();
        Assert.True(q.TryPopAvailable(c1, out _));
        Assert.True(q.TryPopAvailable(c2, out _));
        Assert.Equal(0x10000UL, c1.Readable[0].Address);
        Assert.Equal(0x20000UL, c2.Writable[0].Address);
    }

    [Fact]
    public void LongChainsGrowTheSegmentArray()
    {
        var driver = new SplitRingDriver(_memory, 256);
        var q = driver.CreateQueue();
        var buffers = new (ulong, uint, bool)[200];
        for (int i = 0; i < buffers.Length; i++) buffers[i] = (0x100000 + (ulong)i * 16, 16, i >= 100);
        driver.Offer(driver.AddChain(buffers));
        var chain = Pop(q);
        Assert.Equal(100, chain.Readable.Length);
        Assert.Equal(100, chain.Writable.Length);
        Assert.Equal(0x100000UL + 199 * 16, chain.Writable[99].Address);
    }

    [Fact]
    public void ResetReturnsToDefaults()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true, maxSize: 64);
        driver.Offer(driver.AddChain((0x10000, 1, false)));
        Pop(q);
        q.Reset();
        Assert.False(q.Ready);
        Assert.Equal(64, q.Size);
        Assert.Equal(0UL, q.DescriptorTable);
        Assert.Equal(0, q.NextAvail);
        Assert.False(q.EventIdx);
        Assert.False(q.IndirectDescriptors);
    }

    [Fact]
    public void ConfigurationIsFrozenWhileEnabled()
    {
        var q = new SplitRingDriver(_memory, 16).CreateQueue();
        Assert.Throws<InvalidOperationException>(() => q.Size = 8);
        Assert.Throws<InvalidOperationException>(() => q.DescriptorTable = 0x9000);
    }
}
