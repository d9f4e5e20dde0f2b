using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// One port of a <see cref="VirtioConsole"/>: its configuration, what the driver told the device about it, and
/// traffic counters. The device changes it under its lock on its I/O thread; the getters may be read from
/// any thread (each value on its own is current, a set of them is not a consistent snapshot).
/// </summary>
public sealed class VirtioConsolePort
{
    private bool _guestReady;
    private bool _guestOpen;
    private bool _hostOpenReported;
    private long _bytesToGuest;
    private long _bytesFromGuest;
    private long _bytesDropped;

    internal VirtioConsolePort(uint id, ConsolePortSpec spec)
    {
        Id = id;
        Name = spec.Name;
        NameBytes = spec.EncodeName();
        IsConsole = spec.IsConsole;
        Backend = spec.Backend;
        ReceiveQueue = id == 0 ? 0 : 2 * ((int)id + 1);
        TransmitQueue = ReceiveQueue + 1;
    }

    public uint Id { get; }

    public string? Name { get; }

    public bool IsConsole { get; }

    public IConsolePortBackend Backend { get; }

    /// <summary>Queue index of the port's receiveq (device → driver): 0 for port 0, 2(id+1) for the others.</summary>
    public int ReceiveQueue { get; }

    /// <summary>Queue index of the port's transmitq (driver → device).</summary>
    public int TransmitQueue { get; }

    /// <summary>The driver answered PORT_READY(1) for this port.</summary>
    public bool GuestReady { get => Volatile.Read(ref _guestReady); internal set => Volatile.Write(ref _guestReady, value); }

    /// <summary>A guest program has the port open (PORT_OPEN(1) from the driver; always true for port 0 without MULTIPORT).</summary>
    public bool GuestOpen { get => Volatile.Read(ref _guestOpen); internal set => Volatile.Write(ref _guestOpen, value); }

    /// <summary>What the device last told the driver about the host end (PORT_OPEN it sent).</summary>
    public bool HostOpenReported { get => Volatile.Read(ref _hostOpenReported); internal set => Volatile.Write(ref _hostOpenReported, value); }

    public long BytesToGuest => Interlocked.Read(ref _bytesToGuest);

    public long BytesFromGuest => Interlocked.Read(ref _bytesFromGuest);

    /// <summary>Guest output thrown away because no host peer was attached.</summary>
    public long BytesDropped => Interlocked.Read(ref _bytesDropped);

    internal byte[]? NameBytes { get; }

    /// <summary>A transmit chain popped but not yet wholly taken by the backend (its buffer was full).</summary>
    internal DescriptorChain TransmitChain { get; } = new();

    internal bool TransmitPending { get; set; }

    /// <summary>Bytes of <see cref="TransmitChain"/>'s readable part already given to the backend.</summary>
    internal ulong TransmitOffset { get; set; }

    /// <summary>Sets the traffic counters from a saved state.</summary>
    internal void RestoreCounters(long toGuest, long fromGuest, long dropped)
    {
        Interlocked.Exchange(ref _bytesToGuest, toGuest);
        Interlocked.Exchange(ref _bytesFromGuest, fromGuest);
        Interlocked.Exchange(ref _bytesDropped, dropped);
    }

    internal void AddToGuest(long n) => Interlocked.Add(ref _bytesToGuest, n);

    internal void AddFromGuest(long n) => Interlocked.Add(ref _bytesFromGuest, n);

    internal void AddDropped(long n) => Interlocked.Add(ref _bytesDropped, n);

    /// <summary>Device reset: forget the driver's view, keep the counters and the backend.</summary>
    internal void ResetDriverState()
    {
        GuestReady = false;
        GuestOpen = false;
        HostOpenReported = false;
        TransmitPending = false;
        TransmitOffset = 0;
    }
}
