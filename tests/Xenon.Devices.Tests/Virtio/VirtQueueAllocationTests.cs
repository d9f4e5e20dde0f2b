using Xenon.Devices.Tests.Support;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>Popping, copying and completing run for every I/O request: in steady state they must not allocate.</summary>
public sealed class VirtQueueAllocationTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);

    public void Dispose() => _memory.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PopCopyCompleteDoesNotAllocate(bool eventIdx)
    {
        var driver = new SplitRingDriver(_memory, 64);
        var q = driver.CreateQueue(eventIdx: eventIdx);
        // One direct chain and one indirect chain, re-offered each round as a driver recycles descriptors.
        ushort direct = driver.AddChain((0x10000, 16, false), (0x11000, 512, true), (0x12000, 1, true));
        ushort indirect = driver.AddIndirectChain(0x8000, (0x20000, 16, false), (0x21000, 4096, true));
        var owned = new DescriptorChain();
        int completed = 0;

        var windows = Allocations.Measure(() =>
        {
            Span<byte> header = stackalloc byte[16];
            Span<byte> data = stackalloc byte[512];
            for (int i = 0; i < 1000; i++)
            {
                driver.Offer(direct);
                driver.Offer(indirect);
                if (!q.TryPopAvailable(out var chain, out var fault)) throw new InvalidOperationException(fault.ToString());
                chain.CopyFromReadable(header);
                uint n = (uint)chain.CopyToWritable(data);
                q.AddUsed(chain.HeadIndex, n);
                if (!q.TryPopAvailable(owned, out fault)) throw new InvalidOperationException(fault.ToString());
                owned.CopyFromReadable(header);
                q.AddUsed(owned.HeadIndex, (uint)owned.CopyToWritable(data));
                q.NeedsNotification();
                q.DisableNotification();
                q.EnableNotification();
                completed += 2;
            }
        }, warmUps: 3);
        windows.AssertNothingAllocated("1000 rounds of pop/copy/complete");
        Assert.Equal(windows.Runs * 2000, completed);
    }

    [Fact]
    public void FailedPopsDoNotAllocate()
    {
        var driver = new SplitRingDriver(_memory, 64);
        var q = driver.CreateQueue();
        driver.SetDescriptor(0, 0x10000, 8, SplitRingLayout.DescFlagNext, 0);  // a self-loop
        int faults = 0;
        var windows = Allocations.Measure(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                driver.Offer(0);
                if (!q.TryPopAvailable(out _, out var fault) && fault.Error == QueueError.DescriptorLoop) faults++;
                q.AddUsed(0, 0);
                q.TryPopAvailable(out _, out _);                // empty queue
            }
        }, warmUps: 3);
        windows.AssertNothingAllocated("1000 failed pops");
        Assert.Equal(windows.Runs * 1000, faults);
    }
}
