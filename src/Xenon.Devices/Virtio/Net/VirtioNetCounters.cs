namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// What a virtio-net device moved and what it refused, since it was created. Written only by the device's I/O
/// thread (under its lock); readable from any thread (each value on its own is exact, a set of them is not a
/// snapshot). Nothing is dropped without one of these counting it. Frame bytes exclude the virtio-net header.
/// </summary>
public sealed class VirtioNetCounters
{
    private long _rxPackets, _rxBytes, _rxDroppedTooLarge, _rxDroppedMalformed, _rxDroppedReset, _rxErrors, _rxBadChains;
    private long _txPackets, _txBytes, _txDroppedTooLarge, _txDroppedMalformed, _txErrors, _txBadChains;

    /// <summary>Frames delivered to the driver.</summary>
    public long RxPackets => Volatile.Read(ref _rxPackets);
    public long RxBytes => Volatile.Read(ref _rxBytes);

    /// <summary>Frames larger than the device's buffer or than every buffer the driver can offer at once.</summary>
    public long RxDroppedTooLarge => Volatile.Read(ref _rxDroppedTooLarge);

    /// <summary>Frames from the backend shorter than header plus Ethernet header, or in a form the driver did not accept.</summary>
    public long RxDroppedMalformed => Volatile.Read(ref _rxDroppedMalformed);

    /// <summary>A frame waiting for receive buffers when the driver reset the device.</summary>
    public long RxDroppedReset => Volatile.Read(ref _rxDroppedReset);

    public long RxDropped => RxDroppedTooLarge + RxDroppedMalformed + RxDroppedReset;

    /// <summary>Backend receive failures (no frame was read).</summary>
    public long RxErrors => Volatile.Read(ref _rxErrors);

    /// <summary>Receive chains returned unused: faults found walking them, or too small to hold a header.</summary>
    public long RxBadChains => Volatile.Read(ref _rxBadChains);

    /// <summary>Frames the backend accepted from the driver.</summary>
    public long TxPackets => Volatile.Read(ref _txPackets);
    public long TxBytes => Volatile.Read(ref _txBytes);

    public long TxDroppedTooLarge => Volatile.Read(ref _txDroppedTooLarge);

    /// <summary>Frames without a whole header and Ethernet header, or whose header asks for an offload not negotiated.</summary>
    public long TxDroppedMalformed => Volatile.Read(ref _txDroppedMalformed);

    /// <summary>Frames the backend refused or failed to send.</summary>
    public long TxErrors => Volatile.Read(ref _txErrors);

    public long TxDropped => TxDroppedTooLarge + TxDroppedMalformed + TxErrors;

    /// <summary>Transmit chains whose walk faulted (completed unused).</summary>
    public long TxBadChains => Volatile.Read(ref _txBadChains);

    /// <summary>Number of values in <see cref="Snapshot"/>, in declaration order (the save layout depends on it).</summary>
    internal const int Count = 13;

    /// <summary>Every counter, in a fixed order: rx packets, bytes, too large, malformed, reset, errors, bad chains;
    /// tx packets, bytes, too large, malformed, errors, bad chains.</summary>
    internal long[] Snapshot() =>
    [
        RxPackets, RxBytes, RxDroppedTooLarge, RxDroppedMalformed, RxDroppedReset, RxErrors, RxBadChains,
        TxPackets, TxBytes, TxDroppedTooLarge, TxDroppedMalformed, TxErrors, TxBadChains,
    ];

    /// <summary>Sets every counter from a <see cref="Snapshot"/> (the device's lock held).</summary>
    internal void Restore(ReadOnlySpan<long> values)
    {
        if (values.Length != Count) throw new ArgumentException($"virtio-net has {Count} counters, not {values.Length}", nameof(values));
        Volatile.Write(ref _rxPackets, values[0]);
        Volatile.Write(ref _rxBytes, values[1]);
        Volatile.Write(ref _rxDroppedTooLarge, values[2]);
        Volatile.Write(ref _rxDroppedMalformed, values[3]);
        Volatile.Write(ref _rxDroppedReset, values[4]);
        Volatile.Write(ref _rxErrors, values[5]);
        Volatile.Write(ref _rxBadChains, values[6]);
        Volatile.Write(ref _txPackets, values[7]);
        Volatile.Write(ref _txBytes, values[8]);
        Volatile.Write(ref _txDroppedTooLarge, values[9]);
        Volatile.Write(ref _txDroppedMalformed, values[10]);
        Volatile.Write(ref _txErrors, values[11]);
        Volatile.Write(ref _txBadChains, values[12]);
    }

    internal void Received(int frameBytes)
    {
        Volatile.Write(ref _rxPackets, _rxPackets + 1);
        Volatile.Write(ref _rxBytes, _rxBytes + frameBytes);
    }

    internal void Sent(ulong frameBytes)
    {
        Volatile.Write(ref _txPackets, _txPackets + 1);
        Volatile.Write(ref _txBytes, _txBytes + (long)frameBytes);
    }

    internal void RxTooLarge() => Volatile.Write(ref _rxDroppedTooLarge, _rxDroppedTooLarge + 1);
    internal void RxMalformed() => Volatile.Write(ref _rxDroppedMalformed, _rxDroppedMalformed + 1);
    internal void RxReset() => Volatile.Write(ref _rxDroppedReset, _rxDroppedReset + 1);
    internal void RxError() => Volatile.Write(ref _rxErrors, _rxErrors + 1);
    internal void RxBadChain() => Volatile.Write(ref _rxBadChains, _rxBadChains + 1);
    internal void TxTooLarge() => Volatile.Write(ref _txDroppedTooLarge, _txDroppedTooLarge + 1);
    internal void TxMalformed() => Volatile.Write(ref _txDroppedMalformed, _txDroppedMalformed + 1);
    internal void TxError() => Volatile.Write(ref _txErrors, _txErrors + 1);
    internal void TxBadChain() => Volatile.Write(ref _txBadChains, _txBadChains + 1);
}
