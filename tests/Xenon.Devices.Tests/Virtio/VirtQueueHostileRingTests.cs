using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>
/// One malformed ring per error: each yields its typed fault, touches nothing, and leaves the
/// queue usable (chain faults) or broken until reset (ring faults).
/// Guest RAM here is [0, 8 MiB) and [12 MiB, 16 MiB) with a hole between.
/// </summary>
public sealed class VirtQueueHostileRingTests : IDisposable
{
    private const ulong HoleStart = 8 * X86Layout.MiB;
    private const ulong HighStart = 12 * X86Layout.MiB;
    private const ulong RamEnd = 16 * X86Layout.MiB;
    private const ushort Next = SplitRingLayout.DescFlagNext;
    private const ushort Write = SplitRingLayout.DescFlagWrite;
    private const ushort Indirect = SplitRingLayout.DescFlagIndirect;

    private readonly GuestMemory _memory = GuestMemory.Create([(0, HoleStart), (HighStart, RamEnd - HighStart)]);
    private readonly SplitRingDriver _driver;

    public VirtQueueHostileRingTests() => _driver = new SplitRingDriver(_memory, 16);

    public void Dispose() => _memory.Dispose();

    private QueueFault PopExpectingFault(VirtQueue q, ushort head)
    {
        _driver.Offer(head);
        bool popped = q.TryPopAvailable(out var chain, out var fault);
        Assert.False(popped, popped ? $"a malformed chain was accepted with {chain!.Segments.Length} segments" : "");
        Assert.True(fault.IsError, "pop failed without naming a fault");
        Assert.False(string.IsNullOrEmpty(fault.Describe()));
        return fault;
    }

    private void AssertChainFault(QueueError expected, Action<SplitRingDriver> build, ushort head = 0, bool indirect = true, QueueLimits? limits = null)
    {
        var q = _driver.CreateQueue(indirect: indirect, limits: limits);
        build(_driver);
        var fault = PopExpectingFault(q, head);
        Assert.True(expected == fault.Error, $"expected {expected}, got {fault}");
        Assert.Equal(head, fault.HeadIndex);
        Assert.True(fault.CanCompleteHead);
        Assert.False(q.IsBroken);
        Assert.Equal(0, _driver.UsedIdx);

        // The device fails the request and the ring goes on working.
        Assert.True(q.TryFailRequest(fault));
        Assert.Equal((head, 0u), _driver.UsedElement(0));
        _driver.SetDescriptor(15, 0x10000, 8, Write);
        _driver.Offer(15);
        Assert.True(q.TryPopAvailable(out var next, out var nextFault), nextFault.ToString());
        Assert.Equal(15, next.HeadIndex);
    }

    [Fact]
    public void DescriptorLoopInTheMainTable() => AssertChainFault(QueueError.DescriptorLoop, d =>
    {
        d.SetDescriptor(0, 0x10000, 8, Next, 1);
        d.SetDescriptor(1, 0x10000, 8, Next, 0);
    });

    [Fact]
    public void SelfLoop() => AssertChainFault(QueueError.DescriptorLoop, d => d.SetDescriptor(0, 0x10000, 8, Next, 0));

    [Fact]
    public void LoopInsideAnIndirectTable() => AssertChainFault(QueueError.DescriptorLoop, d =>
    {
        d.WriteDescriptor(0x8000, 0x10000, 8, Next, 1);
        d.WriteDescriptor(0x8010, 0x10000, 8, Next, 0);
        d.SetDescriptor(0, 0x8000, 32, Indirect);
    });

    [Fact]
    public void NextIndexBeyondQueueSize() => AssertChainFault(QueueError.NextIndexOutOfRange, d => d.SetDescriptor(0, 0x10000, 8, Next, 16));

    [Fact]
    public void NextIndexBeyondIndirectTable() => AssertChainFault(QueueError.NextIndexOutOfRange, d =>
    {
        d.WriteDescriptor(0x8000, 0x10000, 8, Next, 2);
        d.SetDescriptor(0, 0x8000, 32, Indirect);
    });

    [Theory]
    [InlineData(HoleStart - 4, 8u)]             // straddles the end of the low region into the hole
    [InlineData(HoleStart, 8u)]                 // inside the hole
    [InlineData(HighStart - 1, 2u)]             // straddles into the high region from the hole
    [InlineData(RamEnd - 8, 9u)]                // one byte past the end of RAM
    [InlineData(ulong.MaxValue - 3, 8u)]        // wraps past 2^64
    [InlineData(0UL, uint.MaxValue)]            // absurd length from a valid address
    public void BufferOutsideGuestMemory(ulong address, uint length)
        => AssertChainFault(QueueError.BufferOutsideMemory, d => d.SetDescriptor(0, address, length, Write));

    [Fact]
    public void BuffersAtTheVeryEdgesOfRamAreAccepted()
    {
        var q = _driver.CreateQueue();
        _driver.SetDescriptor(0, HoleStart - 8, 8, Next, 1);
        _driver.SetDescriptor(1, HighStart, 8, Next, 2);
        _driver.SetDescriptor(2, RamEnd - 8, 8, Write);
        _driver.Offer(0);
        Assert.True(q.TryPopAvailable(out var chain, out var fault), fault.ToString());
        Assert.Equal(3, chain.Segments.Length);
    }

    [Fact]
    public void ZeroLengthBuffer() => AssertChainFault(QueueError.ZeroLengthBuffer, d =>
    {
        d.SetDescriptor(0, 0x10000, 8, Next, 1);
        d.SetDescriptor(1, 0x20000, 0, Write);
    });

    [Fact]
    public void ReadableAfterWritable() => AssertChainFault(QueueError.ReadableAfterWritable, d =>
    {
        d.SetDescriptor(0, 0x10000, 8, Write | Next, 1);
        d.SetDescriptor(1, 0x20000, 8, 0);
    });

    [Fact]
    public void ReadableAfterWritableAcrossTheIndirectBoundary() => AssertChainFault(QueueError.ReadableAfterWritable, d =>
    {
        d.WriteDescriptor(0x8000, 0x20000, 8, 0, 0);
        d.SetDescriptor(0, 0x10000, 8, Write | Next, 1);
        d.SetDescriptor(1, 0x8000, 16, Indirect);
    });

    [Fact]
    public void ChainLongerThanTheByteLimit() => AssertChainFault(QueueError.ChainTooLarge, d =>
    {
        d.SetDescriptor(0, 0x10000, 0x800, Next, 1);
        d.SetDescriptor(1, 0x20000, 0x801, Write);
    }, limits: new QueueLimits { MaxChainBytes = 0x1000 });

    [Fact]
    public void DefaultByteLimitKeepsTotalsBelow4GiB()
    {
        // Descriptors may alias the same RAM, so 8 MiB of guest memory can claim more than 4 GiB.
        const uint eightMiB = (uint)(8 * X86Layout.MiB);
        var driver = new SplitRingDriver(_memory, 1024, 0x100000, 0x110000, 0x120000);
        var q = driver.CreateQueue();
        var fits = new (ulong, uint, bool)[511];                     // 4088 MiB
        Array.Fill(fits, (0UL, eightMiB, false));
        driver.Offer(driver.AddChain(fits));
        Assert.True(q.TryPopAvailable(out var chain, out var ok), ok.ToString());
        Assert.Equal(511UL * eightMiB, chain.ReadableBytes);

        var tooMuch = new (ulong, uint, bool)[513];                  // 4104 MiB
        Array.Fill(tooMuch, (0UL, eightMiB, true));
        ushort head = driver.AddChain(tooMuch);
        driver.Offer(head);
        Assert.False(q.TryPopAvailable(out _, out var fault));
        Assert.Equal(QueueError.ChainTooLarge, fault.Error);
        Assert.Equal(head, fault.HeadIndex);
        Assert.Equal((ulong)uint.MaxValue, fault.Detail);
    }

    [Fact]
    public void IndirectWithoutTheFeature() => AssertChainFault(QueueError.IndirectNotNegotiated, d =>
    {
        d.WriteDescriptor(0x8000, 0x10000, 8, 0, 0);
        d.SetDescriptor(0, 0x8000, 16, Indirect);
    }, indirect: false);

    [Fact]
    public void IndirectWithNext() => AssertChainFault(QueueError.IndirectWithNext, d =>
    {
        d.WriteDescriptor(0x8000, 0x10000, 8, 0, 0);
        d.SetDescriptor(0, 0x8000, 16, Indirect | Next, 1);
        d.SetDescriptor(1, 0x10000, 8, 0);
    });

    [Theory]
    [InlineData(0u)]
    [InlineData(15u)]
    [InlineData(17u)]
    [InlineData(40u)]
    public void IndirectTableOfBadLength(uint length) => AssertChainFault(QueueError.IndirectBadLength, d =>
    {
        d.WriteDescriptor(0x8000, 0x10000, 8, 0, 0);
        d.SetDescriptor(0, 0x8000, length, Indirect);
    });

    [Fact]
    public void IndirectTableAboveTheEntryLimit() => AssertChainFault(QueueError.IndirectTooLarge, d =>
        d.SetDescriptor(0, 0x8000, 16 * 1025, Indirect));

    [Fact]
    public void IndirectTableOfAbsurdLength() => AssertChainFault(QueueError.IndirectTooLarge, d =>
        d.SetDescriptor(0, 0x8000, 0xffff_fff0, Indirect));

    [Theory]
    [InlineData(HoleStart - 16)]                // two entries, the second in the hole
    [InlineData(RamEnd - 16)]                   // second entry past the end of RAM
    [InlineData(0xffff_ffff_ffff_fff0UL)]
    public void IndirectTableOutsideGuestMemory(ulong table) => AssertChainFault(QueueError.IndirectOutsideMemory, d =>
        d.SetDescriptor(0, table, 32, Indirect));

    [Fact]
    public void NestedIndirect() => AssertChainFault(QueueError.NestedIndirect, d =>
    {
        d.WriteDescriptor(0x8000, 0x9000, 16, Indirect, 0);
        d.WriteDescriptor(0x9000, 0x10000, 8, 0, 0);
        d.SetDescriptor(0, 0x8000, 16, Indirect);
    });

    [Fact]
    public void FaultingChainLeavesNoSegmentsBehind()
    {
        var q = _driver.CreateQueue();
        _driver.SetDescriptor(0, 0x10000, 8, Next, 1);
        _driver.SetDescriptor(1, HoleStart, 8, Write);
        var chain = new DescriptorChain();
        _driver.Offer(0);
        Assert.False(q.TryPopAvailable(chain, out var fault));
        Assert.Equal(QueueError.BufferOutsideMemory, fault.Error);
        Assert.Equal(HoleStart, fault.Detail);
        Assert.True(chain.Segments.IsEmpty);
        Assert.Equal(0UL, chain.ReadableBytes + chain.WritableBytes);
    }

    [Fact]
    public void HeadIndexBeyondQueueSizeBreaksTheQueue()
    {
        var q = _driver.CreateQueue();
        var fault = PopExpectingFault(q, 16);
        Assert.Equal(QueueError.HeadIndexOutOfRange, fault.Error);
        Assert.Equal(-1, fault.HeadIndex);
        Assert.Equal(16UL, fault.Detail);
        AssertStaysBrokenUntilReset(q, QueueError.HeadIndexOutOfRange);
    }

    [Theory]
    [InlineData(17)]
    [InlineData(0x8000)]
    [InlineData(0xffff)]                        // "one behind": a driver cannot un-offer
    public void AvailIndexTooFarAheadBreaksTheQueue(int jump)
    {
        var q = _driver.CreateQueue();
        _driver.SetDescriptor(0, 0x10000, 8, 0);
        _driver.SetAvailIdx((ushort)jump);
        Assert.True(q.HasAvailable());
        Assert.False(q.TryPopAvailable(out _, out var fault));
        Assert.Equal(QueueError.AvailIndexTooFarAhead, fault.Error);
        Assert.Equal((ulong)jump, fault.Detail);
        AssertStaysBrokenUntilReset(q, QueueError.AvailIndexTooFarAhead);
    }

    [Fact]
    public void AvailIndexExactlyQueueSizeAheadIsAccepted()
    {
        var q = _driver.CreateQueue();
        for (ushort i = 0; i < 16; i++)
        {
            _driver.SetDescriptor(i, 0x10000, 8, 0);
            _driver.Offer(i);
        }
        for (int i = 0; i < 16; i++) Assert.True(q.TryPopAvailable(out _, out var fault), fault.ToString());
        Assert.False(q.TryPopAvailable(out _, out var none));
        Assert.False(none.IsError);
    }

    private void AssertStaysBrokenUntilReset(VirtQueue q, QueueError error)
    {
        Assert.True(q.IsBroken);
        Assert.Equal(error, q.Fault.Error);
        Assert.False(q.HasAvailable());
        Assert.False(q.TryPopAvailable(out _, out var again));
        Assert.Equal(error, again.Error);
        // No head to give back: the device must set NEEDS_RESET, and nothing reaches the used ring.
        ushort usedBefore = _driver.UsedIdx;
        Assert.False(q.TryFailRequest(again));
        Assert.Equal(usedBefore, _driver.UsedIdx);
        Assert.False(q.EnableNotification());
        q.Reset();
        Assert.False(q.IsBroken);
        Assert.False(q.TryPopAvailable(out _, out var afterReset));
        Assert.False(afterReset.IsError);
    }

    public static TheoryData<ushort, ulong, ulong, ulong, QueueError> BadConfigurations => new()
    {
        { 0, 0x1000, 0x3000, 0x4000, QueueError.InvalidSize },
        { 12, 0x1000, 0x3000, 0x4000, QueueError.InvalidSize },
        { 32, 0x1000, 0x3000, 0x4000, QueueError.InvalidSize },              // above the device's maximum of 16
        { 16, 0x1008, 0x3000, 0x4000, QueueError.MisalignedRing },
        { 16, 0x1000, 0x3001, 0x4000, QueueError.MisalignedRing },
        { 16, 0x1000, 0x3000, 0x4002, QueueError.MisalignedRing },
        { 16, HoleStart - 0x80, 0x3000, 0x4000, QueueError.RingOutsideMemory }, // 256-byte table straddles the hole
        { 16, 0x1000, HoleStart - 0x20, 0x4000, QueueError.RingOutsideMemory },
        { 16, 0x1000, 0x3000, RamEnd - 0x80, QueueError.RingOutsideMemory },
        { 16, 0x1000, 0x3000, 0xffff_ffff_ffff_fff0, QueueError.RingOutsideMemory },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public void EnablingABadConfigurationFails(ushort size, ulong desc, ulong avail, ulong used, QueueError expected)
    {
        var q = new VirtQueue(_memory, 16) { Size = size, DescriptorTable = desc, AvailRing = avail, UsedRing = used };
        Assert.False(q.TryEnable(out var fault));
        Assert.True(expected == fault.Error, $"expected {expected}, got {fault}");
        Assert.False(q.Ready);
        Assert.False(q.TryPopAvailable(out _, out _));
    }

    [Fact]
    public void ConstructorRejectsBadMaximumsAndLimits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtQueue(_memory, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtQueue(_memory, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtQueue(_memory, 65535));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtQueue(_memory, 16, new QueueLimits { MaxIndirectDescriptors = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtQueue(_memory, 16, new QueueLimits { MaxChainBytes = 0 }));
        _ = new VirtQueue(_memory, 32768);
    }
}
