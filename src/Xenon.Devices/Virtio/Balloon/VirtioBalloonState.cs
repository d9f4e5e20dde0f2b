namespace Xenon.Devices.Virtio.Balloon;

/// <summary>
/// What a virtio-balloon keeps besides its queues (which the transport saves).
/// </summary>
/// <remarks>
/// The balloon keeps a count of inflated pages, not their set: which pages the guest gave up is the guest's
/// knowledge (its driver's page list), and the host side of it is in guest memory itself — a released page reads
/// as zeroes, so the save stream carries it as a zero page. Free page reporting completes every chain at once
/// and holds nothing. The statistics buffer the device holds (to return when it wants fresh numbers) is saved as
/// its head, so the guest's stats keep flowing after a restore.
/// </remarks>
/// <param name="TargetPages">config num_pages, the host's target (4 KiB pages).</param>
/// <param name="ActualPages">config actual, as the driver last wrote it.</param>
/// <param name="Active">The driver had set DRIVER_OK.</param>
/// <param name="NeedsReset">The device had found a ring broken and stopped until a reset.</param>
/// <param name="InflatedPages">Pages inflated minus pages deflated in this driver session.</param>
/// <param name="HeldStatsHead">The statistics buffer the device holds, if any.</param>
/// <param name="LatestStats">The last statistics report, if any.</param>
public sealed record VirtioBalloonState(uint TargetPages, uint ActualPages, bool Active, bool NeedsReset, ulong InflatedPages,
    ulong ReportedPages, ulong InvalidPfns, ulong DiscardFailures, ushort? HeldStatsHead, BalloonStats? LatestStats);
