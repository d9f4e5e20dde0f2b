namespace Xenon.Devices.Virtio.Rng;

/// <summary>
/// What a virtio-rng device keeps besides its queue: the driver session, the counters, and the rate-limit window
/// (so a guest that used its quota cannot get a fresh one by being saved and restored). Requests are served whole,
/// so none is in flight. The window is kept as time elapsed since it opened, not as a clock reading, because the
/// restoring process has another clock.
/// </summary>
/// <param name="Active">The driver had set DRIVER_OK.</param>
/// <param name="NeedsReset">The device had found the ring broken and stopped until a reset.</param>
/// <param name="WindowOpen">A rate window was open (unlimited devices save false).</param>
/// <param name="WindowUsed">Bytes used in it.</param>
/// <param name="WindowElapsedNanoseconds">Time since it opened.</param>
public sealed record VirtioRngState(bool Active, bool NeedsReset, long BytesServed, long RequestsServed, long ThrottleEvents,
    bool WindowOpen, ulong WindowUsed, ulong WindowElapsedNanoseconds);
