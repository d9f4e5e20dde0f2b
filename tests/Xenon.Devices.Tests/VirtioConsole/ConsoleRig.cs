using System.Text;
using Xenon.Devices.Virtio.Console;
using ConsoleDevice = Xenon.Devices.Virtio.Console.VirtioConsole;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>
/// A virtio-console activated over a <see cref="QueueSet"/>, with helpers that play Linux's virtio_console driver:
/// control buffers on the control receiveq, messages on the control transmitq, and a reader for the device's
/// announcements.
/// </summary>
internal sealed class ConsoleRig : IDisposable
{
    public const int ControlRx = 2;
    public const int ControlTx = 3;
    public const uint BadId = uint.MaxValue;
    private const uint ControlBufferBytes = 256;

    private readonly Dictionary<uint, ulong> _controlBuffers = [];
    private ushort _announcementsSeen;

    public ConsoleRig(IReadOnlyList<ConsolePortSpec> ports, bool multiport = true, ushort queueSize = 64)
    {
        Set = new QueueSet(2 * (ports.Count + 1), queueSize);
        Device = new ConsoleDevice(Set.Memory, ports, () => Wakes++, queueSize);
        ulong features = Device.DeviceFeatures & (multiport ? ulong.MaxValue : ~VirtioConsoleFeatures.Multiport);
        Device.Activate(features, Set.Queues, Set.Interrupt);
    }

    public ConsoleDevice Device { get; }
    public QueueSet Set { get; }
    public int Wakes { get; private set; }

    public static ConsoleRig WithPorts(params (string? Name, bool Console, FakePortBackend Backend)[] ports)
        => new([.. ports.Select(p => new ConsolePortSpec(p.Backend, p.Name, p.Console))]);

    /// <summary>Gives the device <paramref name="count"/> empty control buffers and kicks the control receiveq.</summary>
    public void GiveControlBuffers(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ulong at = Set.Allocate(ControlBufferBytes);
            ushort head = Set.Offer(ControlRx, (at, ControlBufferBytes, true));
            _controlBuffers[head] = at;
        }
        Device.QueueNotify(ControlRx);
    }

    /// <summary>Sends one control message to the device, as the driver's __send_control_msg does.</summary>
    public void SendControl(uint id, ConsoleControlEvent e, ushort value)
    {
        Span<byte> bytes = stackalloc byte[ConsoleControlMessage.Size];
        new ConsoleControlMessage(id, e, value).Encode(bytes);
        Set.OfferBytes(ControlTx, bytes);
        Device.QueueNotify(ControlTx);
    }

    /// <summary>The announcements the device completed on the control receiveq since the last call.</summary>
    public List<(ConsoleControlMessage Message, string? Name)> TakeAnnouncements()
    {
        var result = new List<(ConsoleControlMessage, string?)>();
        foreach (var (id, length) in Set.UsedSince(ControlRx, _announcementsSeen))
        {
            var bytes = Set.Read(_controlBuffers[id], (int)length);
            var message = ConsoleControlMessage.Decode(bytes);
            string? name = message.Event == ConsoleControlEvent.PortName
                ? Encoding.ASCII.GetString(bytes.AsSpan(ConsoleControlMessage.Size))
                : null;
            result.Add((message, name));
            _announcementsSeen++;
        }
        return result;
    }

    /// <summary>The whole Linux handshake: DEVICE_READY, then PORT_READY for every port the device added.</summary>
    public List<(ConsoleControlMessage Message, string? Name)> Handshake()
    {
        GiveControlBuffers(32);
        SendControl(BadId, ConsoleControlEvent.DeviceReady, 1);
        var all = TakeAnnouncements();
        foreach (var (m, _) in all.ToList())
            if (m.Event == ConsoleControlEvent.DeviceAdd) SendControl(m.Id, ConsoleControlEvent.PortReady, 1);
        all.AddRange(TakeAnnouncements());
        return all;
    }

    /// <summary>Writes <paramref name="bytes"/> on port <paramref name="port"/>'s transmitq and kicks it.</summary>
    public ushort Transmit(int port, byte[] bytes)
    {
        int q = Device.Ports[port].TransmitQueue;
        ushort head = Set.OfferBytes(q, bytes);
        Device.QueueNotify(q);
        return head;
    }

    /// <summary>Gives port <paramref name="port"/>'s receiveq one buffer and kicks it; returns its address.</summary>
    public ulong GiveReceiveBuffer(int port, uint length = 64)
    {
        int q = Device.Ports[port].ReceiveQueue;
        ulong at = Set.OfferWritable(q, length);
        Device.QueueNotify(q);
        return at;
    }

    public void Dispose() => Set.Dispose();
}
