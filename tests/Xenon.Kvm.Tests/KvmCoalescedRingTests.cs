using System.Runtime.InteropServices;
using Xenon.Kvm.Abi;

namespace Xenon.Kvm.Tests;

/// <summary>The coalesced-write ring read from a page laid out as KVM lays it out (header, then 24-byte entries).</summary>
public sealed unsafe class KvmCoalescedRingTests : IDisposable
{
    private readonly byte* _page = (byte*)NativeMemory.AlignedAlloc(KvmCoalescedRing.PageSize, KvmCoalescedRing.PageSize);
    private readonly KvmCoalescedRing _ring;

    public KvmCoalescedRingTests()
    {
        new Span<byte>(_page, KvmCoalescedRing.PageSize).Clear();
        _ring = new KvmCoalescedRing((nint)_page);
    }

    public void Dispose() => NativeMemory.AlignedFree(_page);

    private KvmCoalescedMmioRing* Header => (KvmCoalescedMmioRing*)_page;

    /// <summary>What KVM does for one queued write: fill the entry at last, then move last on.</summary>
    private void Push(ulong address, bool pio, params byte[] data)
    {
        var entry = (KvmCoalescedMmio*)(_page + sizeof(KvmCoalescedMmioRing)) + Header->Last;
        entry->PhysAddr = address;
        entry->Len = (uint)data.Length;
        entry->Pio = pio ? 1u : 0u;
        for (int i = 0; i < data.Length; i++) entry->Data[i] = data[i];
        Header->Last = (Header->Last + 1) % (uint)KvmCoalescedRing.Capacity;
    }

    private void AssertTakes(ulong address, bool pio, params byte[] data)
    {
        var taken = Take();
        Assert.NotNull(taken);
        Assert.Equal(address, taken.Value.Address);
        Assert.Equal(pio, taken.Value.Pio);
        Assert.Equal(data, taken.Value.Data);
    }

    private (ulong Address, bool Pio, byte[] Data)? Take()
    {
        Span<byte> data = stackalloc byte[KvmCoalescedMmio.MaxData];
        if (!_ring.TryTake(data, out ulong address, out bool pio, out int length)) return null;
        return (address, pio, data[..length].ToArray());
    }

    [Fact]
    public void HoldsAsManyEntriesAsKvmPutsInAPage()
    {
        Assert.Equal(24, sizeof(KvmCoalescedMmio));
        Assert.Equal(8, sizeof(KvmCoalescedMmioRing));
        Assert.Equal(170, KvmCoalescedRing.Capacity); // KVM_COALESCED_MMIO_MAX with 4 KiB pages
    }

    [Fact]
    public void AnEmptyRingGivesNothing()
    {
        Assert.True(_ring.IsEmpty);
        Assert.Null(Take());
    }

    [Fact]
    public void WritesComeOutInTheOrderTheyWereQueued()
    {
        Push(0xcf8, pio: true, 0x00, 0x08, 0x00, 0x80);
        Push(0xcfb, pio: true, 0x01);
        Push(0xfed0_0000, pio: false, 1, 2, 3, 4, 5, 6, 7, 8);
        Assert.False(_ring.IsEmpty);

        AssertTakes(0xcf8, pio: true, 0x00, 0x08, 0x00, 0x80);
        AssertTakes(0xcfb, pio: true, 0x01);
        AssertTakes(0xfed0_0000, pio: false, 1, 2, 3, 4, 5, 6, 7, 8);
        Assert.Null(Take());
        Assert.True(_ring.IsEmpty);
        Assert.Equal(3u, Header->First); // consumed: KVM may reuse the slots
    }

    [Fact]
    public void TheIndexesWrapAroundTheEndOfThePage()
    {
        Header->First = Header->Last = (uint)KvmCoalescedRing.Capacity - 1;
        Push(0x10, pio: true, 0xaa);
        Push(0x11, pio: true, 0xbb);
        Assert.Equal(1u, Header->Last);
        AssertTakes(0x10, pio: true, 0xaa);
        Assert.Equal(0u, Header->First);
        AssertTakes(0x11, pio: true, 0xbb);
        Assert.True(_ring.IsEmpty);
    }

    [Theory]
    [InlineData(170u, 0u)]
    [InlineData(0u, 171u)]
    [InlineData(uint.MaxValue, 3u)]
    public void IndexesOutsideTheRingAreRefusedNotFollowed(uint first, uint last)
    {
        Header->First = first;
        Header->Last = last;
        var e = Assert.Throws<InvalidOperationException>(() => Take());
        Assert.Contains("exceed", e.Message);
        Assert.Equal(first, Header->First); // nothing consumed
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(9u)]
    [InlineData(0x8000_0000u)]
    public void AnEntryLengthOutsideOneToEightIsRefused(uint length)
    {
        Push(0xcf8, pio: true, 1, 2, 3, 4);
        ((KvmCoalescedMmio*)(_page + sizeof(KvmCoalescedMmioRing)))->Len = length;
        var e = Assert.Throws<InvalidOperationException>(() => Take());
        Assert.Contains($"length {length}", e.Message);
        Assert.Equal(0u, Header->First);
    }

    [Fact]
    public void TheCallersBufferMustHoldTheEntry()
    {
        Push(0xcf8, pio: true, 1, 2, 3, 4);
        Assert.Throws<ArgumentException>(() =>
        {
            Span<byte> small = stackalloc byte[2];
            _ring.TryTake(small, out _, out _, out _);
        });
        Assert.Equal(0u, Header->First);
    }

    [Fact]
    public void AnUnmappedPageIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new KvmCoalescedRing(0));
    }
}
