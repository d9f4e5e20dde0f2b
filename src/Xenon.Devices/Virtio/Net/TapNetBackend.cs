using System.Runtime.InteropServices;
using Xenon.Devices.Virtio.Queue;
using Xenon.Kvm.Net;
using Xenon.Machine.IoEvents;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// <see cref="INetBackend"/> over a host <see cref="TapDevice"/> (opened with the 12-byte vnet header the
/// virtio-net header maps onto). Transmit is one writev: the checked header from a pinned buffer, then the
/// frame's guest segments in place. Receive is one read. The loop watches the tap's fd while the device is
/// interested (epoll, level-triggered) and forgets it otherwise, so a device without buffers costs no wake-ups.
/// </summary>
public sealed class TapNetBackend : INetBackend, IDisposable
{
    /// <summary>writev's limit (IOV_MAX); a frame in more pieces is copied into one buffer first.</summary>
    private const int MaxVectors = 1024;

    private readonly TapDevice _tap;
    private readonly bool _ownsTap;
    private readonly IoVector[] _vectors = new IoVector[MaxVectors];
    // Pinned (never moved by the GC), so its address can go into an iovec without a fixed block.
    private readonly byte[] _header = GC.AllocateArray<byte>(VirtioNetHeader.Size, pinned: true);
    private readonly object _gate = new();
    private byte[]? _linear;
    private IoEventRegistration? _registration;
    private bool _interested;

    /// <param name="ownsTap">Dispose the tap with this backend.</param>
    public TapNetBackend(TapDevice tap, bool ownsTap = false)
    {
        ArgumentNullException.ThrowIfNull(tap);
        // Both are struct virtio_net_hdr_v1; the tap was told this size with TUNSETVNETHDRSZ.
        if (TapDevice.VnetHeaderSize != VirtioNetHeader.Size)
            throw new InvalidOperationException($"tap vnet header is {TapDevice.VnetHeaderSize} bytes, virtio-net's {VirtioNetHeader.Size}");
        _tap = tap;
        _ownsTap = ownsTap;
    }

    public TapDevice Tap => _tap;

    /// <summary>The errno of the last failed read or write (0 if none), for diagnostics.</summary>
    public int LastErrno { get; private set; }

    public NetBackendStatus Receive(Span<byte> buffer, out int length)
    {
        if (!_tap.TryRead(buffer, out length, out int errno))
        {
            LastErrno = errno;
            return NetBackendStatus.Failed;
        }
        return length == 0 ? NetBackendStatus.Empty : NetBackendStatus.Done;
    }

    public NetBackendStatus Send(ReadOnlySpan<byte> header, GuestMemory memory, ReadOnlySpan<DescriptorSegment> frame)
    {
        if (header.Length != VirtioNetHeader.Size) throw new ArgumentException($"the header is {VirtioNetHeader.Size} bytes", nameof(header));
        ArgumentNullException.ThrowIfNull(memory);
        if (frame.Length >= MaxVectors) return SendLinear(header, memory, frame);

        header.CopyTo(_header);
        _vectors[0] = new IoVector(Marshal.UnsafeAddrOfPinnedArrayElement(_header, 0), VirtioNetHeader.Size);
        for (int i = 0; i < frame.Length; i++)
        {
            // The host address comes from GuestMemory's bounds check of this very range, so the kernel reads
            // guest RAM and nothing else.
            if (!memory.TryTranslate(frame[i].Address, frame[i].Length, out nint host)) return NetBackendStatus.Failed;
            _vectors[i + 1] = new IoVector(host, frame[i].Length);
        }
        return Finish(_tap.TryWriteGather(_vectors.AsSpan(0, frame.Length + 1), out int errno), errno);
    }

    public NetBackendStatus SendPacket(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < VirtioNetHeader.Size) throw new ArgumentException($"a packet starts with the {VirtioNetHeader.Size}-byte header", nameof(packet));
        return Finish(_tap.TryWrite(packet, out int errno), errno);
    }

    public bool SetOffloads(NetOffloads offloads)
    {
        var tun = TunOffloads.None;
        if ((offloads & NetOffloads.Checksum) != 0) tun |= TunOffloads.Checksum;
        if ((offloads & NetOffloads.Tso4) != 0) tun |= TunOffloads.Tso4;
        if ((offloads & NetOffloads.Tso6) != 0) tun |= TunOffloads.Tso6;
        if ((offloads & NetOffloads.TsoEcn) != 0) tun |= TunOffloads.TsoEcn;
        if (_tap.TrySetOffloads(tun, out int errno)) return true;
        LastErrno = errno;
        return false;
    }

    public void SetReceiveInterest(bool interested)
    {
        lock (_gate)
        {
            _interested = interested;
            if (_registration is null) return;
            if (interested) _registration.Resume();
            else _registration.Pause();
        }
    }

    public IDisposable Watch(IoEventLoop loop, Action onReadable)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(onReadable);
        lock (_gate)
        {
            if (_registration is not null) throw new InvalidOperationException($"tap {_tap.Name} is already watched");
            var registration = loop.RegisterReadable(_tap.Handle, onReadable);
            if (!_interested) registration.Pause();
            _registration = registration;
            return new Watcher(this, registration);
        }
    }

    public void Dispose()
    {
        if (_ownsTap) _tap.Dispose();
    }

    private void Unwatch(IoEventRegistration registration)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_registration, registration)) _registration = null;
        }
        // Outside the gate: unregistering waits for a running callback, which may be setting interest.
        registration.Dispose();
    }

    /// <summary>A frame in more pieces than writev takes: copied into one buffer (rare; Linux uses at most ~20).</summary>
    private NetBackendStatus SendLinear(ReadOnlySpan<byte> header, GuestMemory memory, ReadOnlySpan<DescriptorSegment> frame)
    {
        _linear ??= GC.AllocateArray<byte>(VirtioNet.MaxPacketBytes, pinned: true);
        header.CopyTo(_linear);
        int length = header.Length;
        foreach (var segment in frame)
        {
            if (segment.Length > (uint)(_linear.Length - length)) return NetBackendStatus.Failed;
            if (!memory.TryGetSpan(segment.Address, (int)segment.Length, out var guest)) return NetBackendStatus.Failed;
            guest.CopyTo(_linear.AsSpan(length));
            length += (int)segment.Length;
        }
        return Finish(_tap.TryWrite(_linear.AsSpan(0, length), out int errno), errno);
    }

    private NetBackendStatus Finish(bool ok, int errno)
    {
        if (ok) return NetBackendStatus.Done;
        LastErrno = errno;
        return NetBackendStatus.Failed;
    }

    private sealed class Watcher(TapNetBackend owner, IoEventRegistration registration) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unwatch(registration);
        }
    }
}
