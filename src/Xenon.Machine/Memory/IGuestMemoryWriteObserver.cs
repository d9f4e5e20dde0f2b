namespace Xenon.Machine.Memory;

/// <summary>
/// Told of writes to guest RAM that no vCPU made: device DMA (virtio buffers and rings), discarded pages. A CPU backend
/// that caches something derived from guest RAM (the soft CPU's decoded code) drops what such a write made stale.
/// Called on device I/O threads, concurrently: implementations are thread-safe and cheap (no allocation, no lock on
/// the common path).
/// </summary>
public interface IGuestMemoryWriteObserver
{
    /// <summary>[<paramref name="gpa"/>, gpa+<paramref name="length"/>) of guest RAM has just been written.</summary>
    void OnGuestMemoryWritten(ulong gpa, int length);
}
