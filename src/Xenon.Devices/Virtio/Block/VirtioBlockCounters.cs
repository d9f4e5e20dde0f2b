namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// What a virtio-blk device has served since it was created, as xentop reports a VBD: read and write requests that
/// completed, and the sectors they moved. Written only by the device's I/O thread; readable from any thread (each
/// value on its own is exact, a set of them is not a snapshot).
/// </summary>
public sealed class VirtioBlockCounters
{
    private long _readRequests, _writeRequests, _readSectors, _writeSectors;

    public long ReadRequests => Volatile.Read(ref _readRequests);
    public long WriteRequests => Volatile.Read(ref _writeRequests);
    public long ReadSectors => Volatile.Read(ref _readSectors);
    public long WriteSectors => Volatile.Read(ref _writeSectors);

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
}
