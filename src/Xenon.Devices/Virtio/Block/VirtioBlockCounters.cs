namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// What a virtio-blk device has served since it was created, as xentop reports a VBD: read and write requests that
/// completed, and the sectors they moved; and how it talked to the driver and the host (wake-ups, interrupts, guest
/// buffers per host call), the figures that say where a request's time goes. Written only by the device's I/O thread;
/// readable from any thread (each value on its own is exact, a set of them is not a snapshot).
/// </summary>
public sealed class VirtioBlockCounters
{
    private long _readRequests, _writeRequests, _readSectors, _writeSectors;
    private long _wakeups, _interrupts, _dataBuffers, _hostCalls;

    public long ReadRequests => Volatile.Read(ref _readRequests);
    public long WriteRequests => Volatile.Read(ref _writeRequests);
    public long ReadSectors => Volatile.Read(ref _readSectors);
    public long WriteSectors => Volatile.Read(ref _writeSectors);

    /// <summary>Kicks served (each one a pass over the queue).</summary>
    public long Wakeups => Volatile.Read(ref _wakeups);

    /// <summary>Used-buffer interrupts raised (at most one a pass, fewer where the driver's used_event holds them).</summary>
    public long Interrupts => Volatile.Read(ref _interrupts);

    /// <summary>Guest data buffers (descriptors, or pieces of them) read or written.</summary>
    public long DataBuffers => Volatile.Read(ref _dataBuffers);

    /// <summary>Backend calls that moved those buffers (one per request when the backend takes them as one vector).</summary>
    public long HostCalls => Volatile.Read(ref _hostCalls);

    internal void CountRead(ulong bytes)
    {
        Volatile.Write(ref _readRequests, _readRequests + 1);
        Volatile.Write(ref _readSectors, _readSectors + (long)(bytes >> BlockRequestLayout.SectorShift));
    }

    internal void CountWrite(ulong bytes)
    {
        Volatile.Write(ref _writeRequests, _writeRequests + 1);
        Volatile.Write(ref _writeSectors, _writeSectors + (long)(bytes >> BlockRequestLayout.SectorShift));
    }

    internal void CountWakeup() => Volatile.Write(ref _wakeups, _wakeups + 1);

    internal void CountInterrupt() => Volatile.Write(ref _interrupts, _interrupts + 1);

    internal void CountTransfer(int buffers, int hostCalls)
    {
        Volatile.Write(ref _dataBuffers, _dataBuffers + buffers);
        Volatile.Write(ref _hostCalls, _hostCalls + hostCalls);
    }

    /// <summary>One line for a domain's exit log.</summary>
    public string Describe() =>
        $"rd {ReadRequests} requests {ReadSectors} sectors, wr {WriteRequests} requests {WriteSectors} sectors, "
        + $"{DataBuffers} data buffers in {HostCalls} host calls, {Wakeups} wake-ups, {Interrupts} interrupts";
}
