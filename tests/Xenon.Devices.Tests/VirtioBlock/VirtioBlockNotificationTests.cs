using System.Buffers.Binary;
using Xenon.Devices.Tests.Virtio;
using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>Kicks are suppressed while the device drains its queue (each kick is a VM exit), requests the driver adds
/// meanwhile are served in the same pass, and kicks are asked for again before the device goes back to sleep.</summary>
public sealed class VirtioBlockNotificationTests : IDisposable
{
    private const ulong Header = 0x10000, Data = 0x100000, Status = 0x11000;
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);

    public void Dispose() => _memory.Dispose();

    /// <summary>A 64-sector disk in memory whose reads call <see cref="OnRead"/> first (the driver acting meanwhile).</summary>
    private sealed class HookBackend : IBlockBackend
    {
        private readonly byte[] _disk = new byte[64 * 512];
        public Action? OnRead { get; set; }
        public ulong SizeBytes => (ulong)_disk.Length;
        public bool IsReadOnly => false;
        public bool TryRead(ulong offset, Span<byte> destination)
        {
            OnRead?.Invoke();
            _disk.AsSpan((int)offset, destination.Length).CopyTo(destination);
            return true;
        }
        public bool TryWrite(ulong offset, ReadOnlySpan<byte> source)
        {
            source.CopyTo(_disk.AsSpan((int)offset));
            return true;
        }
        public unsafe bool TryReadVectored(ulong offset, ReadOnlySpan<Xenon.Kvm.Net.IoVector> buffers)
        {
            OnRead?.Invoke();
            foreach (var v in buffers)
            {
                _disk.AsSpan((int)offset, (int)v.Length).CopyTo(new Span<byte>((void*)v.Base, (int)v.Length));
                offset += v.Length;
            }
            return true;
        }
        public unsafe bool TryWriteVectored(ulong offset, ReadOnlySpan<Xenon.Kvm.Net.IoVector> buffers)
        {
            foreach (var v in buffers)
            {
                new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length).CopyTo(_disk.AsSpan((int)offset));
                offset += v.Length;
            }
            return true;
        }
        public bool TryFlush() => true;
        public bool TryDiscard(ulong offset, ulong length) => true;
        public bool TryWriteZeroes(ulong offset, ulong length) => true;
        public void Dispose() { }
    }

    private ushort AddRead(SplitRingDriver driver, int slot)
    {
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)BlockRequestType.In);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)slot);
        ulong header = Header + (ulong)slot * 16;
        _memory.Write(header, h);
        return driver.AddChain((header, 16, false), (Data + (ulong)slot * 512, 512, true), (Status + (ulong)slot, 1, true));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RequestsAddedWhileDrainingAreServedWithoutKicksAndKicksResumeAfter(bool eventIdx)
    {
        var backend = new HookBackend();
        var device = new Xenon.Devices.Virtio.Block.VirtioBlock(_memory, backend, queueSize: 16);
        var driver = new SplitRingDriver(_memory, 16);
        var queue = driver.CreateQueue(eventIdx);
        var interrupt = new RecordingInterrupt();
        device.Activate(device.DeviceFeatures, [queue], interrupt);

        int reads = 0;
        var suppressed = new List<bool>();
        backend.OnRead = () =>
        {
            // What the driver sees in the middle of the drain: with EVENT_IDX avail_event lags; without, NO_NOTIFY is set.
            suppressed.Add(eventIdx ? driver.AvailEvent != driver.AvailIdx : (driver.UsedFlags & 1) != 0);
            // The driver adds two more requests during the first two reads, without kicking.
            if (reads++ < 2) driver.Offer(AddRead(driver, 10 + reads));
        };
        driver.Offer(AddRead(driver, 0));
        device.QueueNotify(0);

        Assert.Equal(3, driver.UsedIdx);   // the two added meanwhile were served in the same pass
        Assert.All(suppressed, Assert.True);
        Assert.Equal(1, interrupt.UsedBufferSignals); // one interrupt for the batch
        // Kicks are wanted again: NO_NOTIFY clear, or avail_event caught up with avail.idx.
        if (eventIdx) Assert.Equal(driver.AvailIdx, driver.AvailEvent);
        else Assert.Equal(0, driver.UsedFlags & 1);
        Assert.True(queue.NotificationsEnabled);
    }
}
