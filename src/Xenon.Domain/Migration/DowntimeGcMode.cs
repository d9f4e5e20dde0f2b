using System.Runtime;

namespace Xenon.Domain.Migration;

/// <summary>
/// Keeps blocking full collections out of a migration's downtime: from the pause (sender) or the first state record
/// (receiver) until the guest runs again, the process's GC runs in <see cref="GCLatencyMode.LowLatency"/>, where it
/// collects generation 2 only under memory pressure. The window is a few hundred milliseconds and allocates little
/// (state records, device blobs); a full collection inside it, after pre-copy's megabytes of records, would stop
/// every thread for its length. Dispose puts the previous mode back.
/// </summary>
internal sealed class DowntimeGcMode : IDisposable
{
    private readonly GCLatencyMode _previous;
    private bool _disposed;

    public DowntimeGcMode()
    {
        _previous = GCSettings.LatencyMode;
        // LowLatency exists for the workstation GC only; the server GC keeps its mode (setting it would be ignored).
        if (!GCSettings.IsServerGC) GCSettings.LatencyMode = GCLatencyMode.LowLatency;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        GCSettings.LatencyMode = _previous;
    }
}
