using System.Runtime.InteropServices;
using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;

namespace Xenon.Machine.Tests.Backend;

/// <summary>Queued writes reach the exit handler in order, as the draining vCPU's accesses, ports and MMIO apart.</summary>
public sealed unsafe class CoalescedWriteDrainTests : IDisposable
{
    private readonly byte* _page = (byte*)NativeMemory.AlignedAlloc(KvmCoalescedRing.PageSize, KvmCoalescedRing.PageSize);
    private readonly KvmCoalescedRing _ring;
    private readonly RecordingHandler _handler = new();

    public CoalescedWriteDrainTests()
    {
        new Span<byte>(_page, KvmCoalescedRing.PageSize).Clear();
        _ring = new KvmCoalescedRing((nint)_page);
    }

    public void Dispose() => NativeMemory.AlignedFree(_page);

    private void Push(ulong address, bool pio, params byte[] data)
    {
        var header = (KvmCoalescedMmioRing*)_page;
        var entry = (KvmCoalescedMmio*)(_page + sizeof(KvmCoalescedMmioRing)) + header->Last;
        entry->PhysAddr = address;
        entry->Len = (uint)data.Length;
        entry->Pio = pio ? 1u : 0u;
        for (int i = 0; i < data.Length; i++) entry->Data[i] = data[i];
        header->Last = (header->Last + 1) % (uint)KvmCoalescedRing.Capacity;
    }

    [Fact]
    public void IsOffUntilEnabledWithTheRingsPage()
    {
        var drain = new CoalescedWriteDrain();
        Assert.False(drain.Enabled);
        Assert.Equal(0, drain.PageOffset);
        drain.Enable(2);
        Assert.True(drain.Enabled);
        Assert.Equal(2, drain.PageOffset);
        Assert.Throws<ArgumentOutOfRangeException>(() => drain.Enable(0));
    }

    [Fact]
    public void DeliversEveryQueuedWriteInOrderToTheRightBus()
    {
        Push(0xcf8, pio: true, 0x00, 0x10, 0x00, 0x80);
        Push(0xd000_0004, pio: false, 0x01, 0x00);
        Push(0xcf9, pio: true, 0x06);
        var drain = new CoalescedWriteDrain();
        drain.Enable(2);

        drain.Deliver(_ring, 3, _handler);

        Assert.Equal(
        [
            "pio vcpu3 0xcf8 w 00-10-00-80",
            "mmio vcpu3 0xd0000004 w 01-00",
            "pio vcpu3 0xcf9 w 06",
        ], _handler.Calls);
        Assert.True(_ring.IsEmpty);
    }

    [Fact]
    public void AWriteStaysQueuedToOtherVcpusUntilItIsApplied()
    {
        // Another vCPU that looks at the ring while this one applies must not find it empty, or it would handle its
        // own CONFIG_DATA exit before the CONFIG_ADDRESS write it depends on.
        Push(0xcf8, pio: true, 0x00, 0x10, 0x00, 0x80);
        Push(0xcf8, pio: true, 0x04, 0x10, 0x00, 0x80);
        var drain = new CoalescedWriteDrain();
        drain.Enable(2);
        var seenEmpty = new List<bool>();
        _handler.OnCall = () => seenEmpty.Add(_ring.IsEmpty);

        drain.Deliver(_ring, 1, _handler);

        Assert.Equal([false, false], seenEmpty);
        Assert.True(_ring.IsEmpty);
    }

    [Fact]
    public void AWriteNoExitFollowsIsAppliedByThePendingDrain()
    {
        // A reset written to 0xcf9 (inside the zone) and then HLT: no exit comes to drain it.
        var drain = new CoalescedWriteDrain();
        drain.Enable(2);
        drain.DeliverPending();                 // before any vCPU delivered: no ring known, nothing to do
        drain.Remember(_ring, 1, _handler);     // as the vCPU does before it first enters the guest
        Push(0xcf9, pio: true, 0x06);

        drain.DeliverPending();

        Assert.Equal(["pio vcpu1 0xcf9 w 06"], _handler.Calls);
        Assert.True(_ring.IsEmpty);
    }

    [Fact]
    public void AForgottenRingIsNotReadByThePendingDrain()
    {
        var drain = new CoalescedWriteDrain();
        drain.Enable(2);
        drain.Deliver(_ring, 0, _handler);
        drain.Forget(_ring);
        Push(0xcf9, pio: true, 0x06);

        drain.DeliverPending();

        Assert.Empty(_handler.Calls);
        Assert.False(_ring.IsEmpty);
    }

    [Fact]
    public void AnEmptyRingCallsNothing()
    {
        var drain = new CoalescedWriteDrain();
        drain.Enable(2);
        drain.Deliver(_ring, 0, _handler);
        Assert.Empty(_handler.Calls);
    }

    [Fact]
    public void ABrokenRingStopsTheDrainWithAnError()
    {
        Push(0xcf8, pio: true, 1, 2, 3, 4);
        ((KvmCoalescedMmioRing*)_page)->Last = 999;
        var drain = new CoalescedWriteDrain();
        drain.Enable(2);
        Assert.Throws<InvalidOperationException>(() => drain.Deliver(_ring, 0, _handler));
        Assert.Empty(_handler.Calls);
    }

    private sealed class RecordingHandler : IVcpuExitHandler
    {
        public List<string> Calls { get; } = [];

        public Action? OnCall { get; set; }

        public void PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite)
        {
            OnCall?.Invoke();
            Calls.Add($"pio vcpu{vcpu} 0x{port:x} {(isWrite ? "w" : "r")} {BitConverter.ToString(data.ToArray())}");
        }

        public void Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite) =>
            Calls.Add($"mmio vcpu{vcpu} 0x{address:x} {(isWrite ? "w" : "r")} {BitConverter.ToString(data.ToArray())}");
    }
}
