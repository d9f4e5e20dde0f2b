namespace Xenon.Devices.Tests.Support;

/// <summary>
/// Measures what a steady-state path allocates on the calling thread, in windows, until enough windows in a row
/// allocate nothing. One window is not enough: the runtime itself now and then allocates on the test thread while it
/// promotes a method to tier 1 or loads a type (32 and 3 896 bytes seen in CI under load). That is a one-off and
/// settles; an allocation per request shows in every window and never does, so the test still catches it.
/// </summary>
internal static class Allocations
{
    /// <summary>Windows in a row that must allocate nothing.</summary>
    public const int CleanWindowsNeeded = 3;

    /// <summary>The most windows measured before giving up: room for a few one-off runtime allocations.</summary>
    public const int MaxWindows = 20;

    /// <summary>Runs <paramref name="measured"/> <paramref name="warmUps"/> times unmeasured, then in measured windows.</summary>
    public static AllocationWindows Measure(Action measured, int warmUps = 1) => Measure(static () => { }, measured, warmUps);

    /// <summary>
    /// Before every run (warm-ups included) calls <paramref name="prepare"/> outside the window, so each run sets up its
    /// own work (offers its chains, feeds its input) and only <paramref name="measured"/> is counted.
    /// </summary>
    public static AllocationWindows Measure(Action prepare, Action measured, int warmUps = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmUps);
        for (int i = 0; i < warmUps; i++)
        {
            prepare();
            measured(); // JIT, lazy statics, first-use buffers
        }

        var bytes = new long[MaxWindows]; // allocated here, so recording a window allocates nothing inside the next
        int windows = 0, clean = 0;
        while (clean < CleanWindowsNeeded && windows < MaxWindows)
        {
            prepare();
            long before = GC.GetAllocatedBytesForCurrentThread();
            measured();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            bytes[windows++] = allocated;
            clean = allocated == 0 ? clean + 1 : 0;
        }
        return new AllocationWindows(warmUps, bytes.AsSpan(0, windows).ToArray(), clean >= CleanWindowsNeeded);
    }
}

/// <summary>The bytes each measured window allocated, and whether the last <see cref="Allocations.CleanWindowsNeeded"/> were all zero.</summary>
internal sealed class AllocationWindows(int warmUps, long[] bytes, bool settled)
{
    public IReadOnlyList<long> Bytes => bytes;

    public bool Settled => settled;

    /// <summary>How often the measured action ran, warm-ups included: what counts of work done must follow.</summary>
    public int Runs => warmUps + bytes.Length;

    /// <summary>Fails unless the windows settled at zero, listing every window so a reader tells noise from a leak.</summary>
    public void AssertNothingAllocated(string what)
        => Assert.True(settled, $"{what} allocated, window by window: {this}");

    public override string ToString()
        => $"{string.Join(", ", bytes)} bytes over {bytes.Length} windows after {warmUps} warm-up run{(warmUps == 1 ? "" : "s")} " +
           $"(needed {Allocations.CleanWindowsNeeded} windows in a row with none, within {Allocations.MaxWindows})";
}
