using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>Interrupt and kick suppression: NO_INTERRUPT / NO_NOTIFY flags, and VIRTIO_F_EVENT_IDX's used_event / avail_event.</summary>
public sealed class VirtQueueNotificationTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);

    public void Dispose() => _memory.Dispose();

    private static void PopAndComplete(SplitRingDriver driver, VirtQueue q, int count)
    {
        for (int i = 0; i < count; i++)
        {
            driver.Offer(driver.AddChain((0x10000, 4, true)));
            Assert.True(q.TryPopAvailable(out var chain, out var fault), fault.ToString());
            Assert.True(q.AddUsed(chain.HeadIndex, 4));
        }
    }

    [Fact]
    public void WithoutEventIdxTheNoInterruptFlagDecides()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        PopAndComplete(driver, q, 1);
        Assert.True(q.NeedsNotification());
        driver.SetAvailFlags(SplitRingLayout.AvailFlagNoInterrupt);
        PopAndComplete(driver, q, 1);
        Assert.False(q.NeedsNotification());
        driver.SetAvailFlags(0);
        Assert.True(q.NeedsNotification());
    }

    [Fact]
    public void WithEventIdxTheNoInterruptFlagIsIgnored()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        driver.SetAvailFlags(SplitRingLayout.AvailFlagNoInterrupt);
        driver.SetUsedEvent(0);
        PopAndComplete(driver, q, 1);
        Assert.True(q.NeedsNotification());
    }

    [Fact]
    public void FirstDecisionWithEventIdxAlwaysNotifies()
    {
        // Nothing signalled yet: the device cannot know what the driver has seen, so it interrupts.
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        driver.SetUsedEvent(100);
        PopAndComplete(driver, q, 1);
        Assert.True(q.NeedsNotification());
    }

    [Theory]
    // (used_event, completions in the batch after one signalled completion, expected)
    // An interrupt is due when the used element at index used_event was written, i.e. used_event in [old, new).
    [InlineData(1, 1, true)]    // used.idx 1 -> 2 wrote element 1
    [InlineData(2, 1, false)]   // element 2 not written yet
    [InlineData(2, 2, true)]    // 1 -> 3 wrote element 2
    [InlineData(5, 3, false)]   // 1 -> 4 does not reach element 5
    [InlineData(3, 3, true)]    // 1 -> 4 wrote element 3
    [InlineData(0, 3, false)]   // event index already behind: no interrupt
    public void UsedEventSuppressesUntilCrossed(ushort usedEvent, int batch, bool expected)
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        PopAndComplete(driver, q, 1);
        Assert.True(q.NeedsNotification());        // signalled at used.idx 1
        driver.SetUsedEvent(usedEvent);
        PopAndComplete(driver, q, batch);
        Assert.Equal(expected, q.NeedsNotification());
    }

    [Fact]
    public void NoNewCompletionsNeverNotifyWithEventIdx()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        PopAndComplete(driver, q, 2);
        Assert.True(q.NeedsNotification());
        driver.SetUsedEvent(1);
        Assert.False(q.NeedsNotification());
    }

    [Fact]
    public void UsedEventComparisonWrapsAt65536()
    {
        var driver = new SplitRingDriver(_memory, 4);
        var q = driver.CreateQueue(eventIdx: true);
        q.SetState(q.GetState() with { NextAvail = 65534, NextUsed = 65534, SignalledUsed = 65534 });
        driver.SetAvailIdx(65534);
        driver.SetUsedEvent(65535);
        PopAndComplete(driver, q, 3);               // used.idx 65534 -> 1 wrote element 65535
        Assert.True(q.NeedsNotification());
        driver.SetUsedEvent(3);
        PopAndComplete(driver, q, 2);               // 1 -> 3 did not write element 3
        Assert.False(q.NeedsNotification());
    }

    [Fact]
    public void NeedEventMatchesTheSpecFormula()
    {
        for (int e = 0; e < 65536; e += 4099)
            for (int n = 0; n < 65536; n += 3001)
                for (int o = 0; o < 65536; o += 5003)
                {
                    // event in [old, new) modulo 2^16, written as a distance check
                    int dNew = (n - o) & 0xffff;
                    int dEvent = (e - o) & 0xffff;
                    bool expected = dEvent < dNew;
                    Assert.Equal(expected, SplitRingLayout.NeedEvent((ushort)e, (ushort)n, (ushort)o));
                }
    }

    [Fact]
    public void PopPublishesAvailEventWithEventIdx()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        driver.Offer(driver.AddChain((0x10000, 4, false)));
        driver.Offer(driver.AddChain((0x10000, 4, false)));
        Assert.True(q.TryPopAvailable(out _, out _));
        Assert.Equal(1, driver.AvailEvent);
        Assert.True(q.TryPopAvailable(out _, out _));
        Assert.Equal(2, driver.AvailEvent);
    }

    [Fact]
    public void DisabledNotificationsStopAvailEventAndEnableReportsPendingWork()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue(eventIdx: true);
        q.DisableNotification();
        Assert.Equal(0, driver.UsedFlags);          // with EVENT_IDX the flag is not used
        driver.Offer(driver.AddChain((0x10000, 4, false)));
        driver.Offer(driver.AddChain((0x10000, 4, false)));
        Assert.True(q.TryPopAvailable(out _, out _));
        Assert.Equal(0, driver.AvailEvent);         // not advanced while suppressed
        Assert.True(q.EnableNotification());        // one chain is still waiting
        Assert.Equal(1, driver.AvailEvent);
        Assert.True(q.TryPopAvailable(out _, out _));
        Assert.False(q.EnableNotification());
        Assert.Equal(2, driver.AvailEvent);
    }

    [Fact]
    public void WithoutEventIdxNoNotifyFlagIsToggled()
    {
        var driver = new SplitRingDriver(_memory, 16);
        var q = driver.CreateQueue();
        q.DisableNotification();
        Assert.Equal(SplitRingLayout.UsedFlagNoNotify, driver.UsedFlags);
        Assert.False(q.NotificationsEnabled);
        driver.Offer(driver.AddChain((0x10000, 4, false)));
        Assert.True(q.EnableNotification());
        Assert.Equal(0, driver.UsedFlags);
        Assert.Equal(0, driver.AvailEvent);         // avail_event belongs to EVENT_IDX only
    }
}
