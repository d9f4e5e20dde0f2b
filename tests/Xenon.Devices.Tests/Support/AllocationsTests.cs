namespace Xenon.Devices.Tests.Support;

/// <summary>The settling measurement the "allocates nothing" tests stand on: a one-off passes, a steady allocation fails.</summary>
public sealed class AllocationsTests
{
    private object? _sink; // a field the allocations escape to, so the JIT cannot keep them on the stack

    [Fact]
    public void AOneOffAllocationSettlesAndIsStillListed()
    {
        int calls = 0;
        var windows = Allocations.Measure(() =>
        {
            if (++calls == 2) _sink = new byte[100]; // the first measured window, as a tier-1 promotion would
        });

        Assert.True(windows.Settled, windows.ToString());
        Assert.True(windows.Bytes[0] >= 100, $"the first window should hold the one-off array: {windows}");
        Assert.True(windows.Bytes.Count >= 1 + Allocations.CleanWindowsNeeded, windows.ToString());
        Assert.All(windows.Bytes.Skip(windows.Bytes.Count - Allocations.CleanWindowsNeeded), b => Assert.Equal(0, b));
        Assert.Equal(calls, windows.Runs);
        windows.AssertNothingAllocated("a one-off");
    }

    [Fact]
    public void AnAllocationInEveryWindowNeverSettlesAndTheMessageListsEveryWindow()
    {
        var windows = Allocations.Measure(() => _sink = new byte[1]);

        Assert.False(windows.Settled);
        Assert.Equal(Allocations.MaxWindows, windows.Bytes.Count);
        Assert.All(windows.Bytes, b => Assert.True(b > 0));
        var failure = Assert.ThrowsAny<Exception>(() => windows.AssertNothingAllocated("one byte a window"));
        Assert.Contains("one byte a window allocated, window by window: ", failure.Message);
        Assert.Contains($"over {Allocations.MaxWindows} windows after 1 warm-up run ", failure.Message);
        Assert.Contains(string.Join(", ", windows.Bytes), failure.Message);
    }

    [Fact]
    public void PrepareRunsBeforeEveryRunOutsideTheWindow()
    {
        int prepared = 0, measured = 0;
        var windows = Allocations.Measure(
            prepare: () =>
            {
                Assert.Equal(measured, prepared); // one prepare per run, just before it
                prepared++;
                _sink = new byte[4096];
            },
            measured: () => measured++,
            warmUps: 2);

        windows.AssertNothingAllocated("a measured action that only counts");
        Assert.Equal(prepared, measured);
        Assert.Equal(measured, windows.Runs);
        Assert.Equal(2 + windows.Bytes.Count, windows.Runs);
    }

    [Fact]
    public void ANegativeWarmUpCountIsRefused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Allocations.Measure(() => { }, warmUps: -1));
}
