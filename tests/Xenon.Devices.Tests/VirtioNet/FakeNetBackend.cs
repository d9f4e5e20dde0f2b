using Xenon.Devices.Virtio.Net;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.IoEvents;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>An <see cref="INetBackend"/> in memory: frames to receive are queued by the test, sent frames are
/// recorded (or only counted, for allocation tests), and offload / interest calls are remembered.</summary>
internal sealed class FakeNetBackend : INetBackend
{
    private readonly Queue<byte[]> _incoming = new();

    public List<(byte[] Header, byte[] Frame)> Sent { get; } = [];
    public int SentCount { get; private set; }
    public bool RecordSent { get; set; } = true;
    public NetBackendStatus SendStatus { get; set; } = NetBackendStatus.Done;
    public bool FailReceive { get; set; }
    public int ReceiveCalls { get; private set; }
    public List<NetOffloads> OffloadCalls { get; } = [];
    public bool RefuseOffloads { get; set; }
    public bool Interested { get; private set; }
    public int InterestChanges { get; private set; }
    public Action? OnReadable { get; private set; }
    public bool Unwatched { get; private set; }

    public int Pending => _incoming.Count;

    /// <summary>Queues a packet (header included) for the device to receive.</summary>
    public void Enqueue(byte[] packet) => _incoming.Enqueue(packet);

    public NetBackendStatus Receive(Span<byte> buffer, out int length)
    {
        ReceiveCalls++;
        length = 0;
        if (FailReceive) return NetBackendStatus.Failed;
        if (!_incoming.TryDequeue(out var packet)) return NetBackendStatus.Empty;
        // Like a tap: a packet longer than the buffer is truncated to it.
        length = Math.Min(packet.Length, buffer.Length);
        packet.AsSpan(0, length).CopyTo(buffer);
        return NetBackendStatus.Done;
    }

    /// <summary>Packets sent from host memory (<see cref="SendPacket"/>) are recorded in <see cref="Sent"/> too.</summary>
    public NetBackendStatus SendPacket(ReadOnlySpan<byte> packet)
    {
        OnSend?.Invoke();
        SentCount++;
        if (RecordSent && SendStatus == NetBackendStatus.Done)
            Sent.Add((packet[..VirtioNetHeader.Size].ToArray(), packet[VirtioNetHeader.Size..].ToArray()));
        return SendStatus;
    }

    /// <summary>Called at the start of every send (either form), e.g. to look at the rings at that moment.</summary>
    public Action? OnSend { get; set; }

    public NetBackendStatus Send(ReadOnlySpan<byte> header, GuestMemory memory, ReadOnlySpan<DescriptorSegment> frame)
    {
        OnSend?.Invoke();
        SentCount++;
        if (RecordSent && SendStatus == NetBackendStatus.Done)
        {
            var bytes = new List<byte>();
            foreach (var segment in frame)
            {
                var piece = new byte[segment.Length];
                memory.Read(segment.Address, piece);
                bytes.AddRange(piece);
            }
            Sent.Add((header.ToArray(), [.. bytes]));
        }
        return SendStatus;
    }

    public bool SetOffloads(NetOffloads offloads)
    {
        OffloadCalls.Add(offloads);
        return !RefuseOffloads;
    }

    public void SetReceiveInterest(bool interested)
    {
        if (interested != Interested) InterestChanges++;
        Interested = interested;
    }

    public IDisposable Watch(IoEventLoop loop, Action onReadable)
    {
        OnReadable = onReadable;
        return new Unwatch(this);
    }

    private sealed class Unwatch(FakeNetBackend owner) : IDisposable
    {
        public void Dispose() => owner.Unwatched = true;
    }
}
