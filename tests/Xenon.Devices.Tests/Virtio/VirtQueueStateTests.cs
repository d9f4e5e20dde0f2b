using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

public sealed class VirtQueueStateTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void StateRoundTripsAndTheRestoredQueueContinues()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        for (int i = 0; i < 3; i++)
        {
            driver.Offer(driver.AddChain((0x10000, 4, true)));
            Assert.True(q.TryPopAvailable(out var c, out _));
            q.AddUsed(c.HeadIndex, 4);
        }
        Assert.True(q.NeedsNotification());
        driver.Offer(driver.AddChain((0x20000, 4, true)));
        var saved = q.GetState();
        Assert.Equal(new VirtQueueState(16, true, driver.DescriptorTable, driver.AvailRing, driver.UsedRing, 3, 3, true, true, true, 3), saved);

        var restored = new VirtQueue(_memory, 16);
        restored.SetState(saved);
        Assert.Equal(saved, restored.GetState());
        Assert.True(restored.TryPopAvailable(out var chain, out var fault), fault.ToString());
        Assert.Equal(0x20000UL, chain.Writable[0].Address);
        Assert.True(restored.AddUsed(chain.HeadIndex, 4));
        Assert.Equal(4, driver.UsedIdx);
    }

    [Fact]
    public void DisabledStateRestoresWithoutValidatingAddresses()
    {
        var q = new VirtQueue(_memory, 16);
        var state = new VirtQueueState(8, false, 0xdead_0000_0000, 0, 0, 0, 0, false, false, true, null);
        q.SetState(state);
        Assert.Equal(state, q.GetState());
        Assert.False(q.Ready);
    }

    [Theory]
    [InlineData((ushort)0, false)]
    [InlineData((ushort)6, false)]
    [InlineData((ushort)32, false)]              // above this queue's maximum
    [InlineData((ushort)16, true)]               // ready, but rings outside RAM
    public void InvalidStatesAreRejected(ushort size, bool ready)
    {
        var q = new VirtQueue(_memory, 16);
        var state = new VirtQueueState(size, ready, 0xffff_0000_0000, 0x3000, 0x4000, 0, 0, false, false, true, null);
        var ex = Assert.Throws<ArgumentException>(() => q.SetState(state));
        Assert.Contains("queue", ex.Message, StringComparison.Ordinal);
        Assert.False(q.Ready);
    }
}
