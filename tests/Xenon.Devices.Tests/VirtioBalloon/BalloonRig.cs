using System.Buffers.Binary;
using Xenon.Devices.Tests.Fakes;
using Xenon.Devices.Tests.VirtioConsole;
using Xenon.Devices.Virtio.Balloon;
using Xenon.Machine.Memory;
using BalloonDevice = Xenon.Devices.Virtio.Balloon.VirtioBalloon;

namespace Xenon.Devices.Tests.VirtioBalloon;

/// <summary>A balloon activated over a <see cref="QueueSet"/> in 64 MiB of RAM, and helpers that play Linux's virtio_balloon.</summary>
internal sealed class BalloonRig : IDisposable
{
    public const ulong RamBytes = 64 * X86Layout.MiB;

    public BalloonRig(ulong? features = null, GuestMemoryBacking backing = GuestMemoryBacking.Anonymous)
    {
        Set = new QueueSet(4, memory: GuestMemory.Create([(0, RamBytes)], backing));
        Time = new ManualTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
        Device = new BalloonDevice(Set.Memory, () => ConfigChanges++, Time);
        Device.Activate(features ?? Device.DeviceFeatures, Set.Queues, Set.Interrupt);
    }

    public QueueSet Set { get; }
    public ManualTimeProvider Time { get; }
    public BalloonDevice Device { get; }
    public int ConfigChanges { get; private set; }

    /// <summary>Sends le32 PFNs on <paramref name="queue"/> and kicks it.</summary>
    public void SendPfns(int queue, params uint[] pfns)
    {
        var bytes = new byte[pfns.Length * 4];
        for (int i = 0; i < pfns.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), pfns[i]);
        Set.OfferBytes(queue, bytes);
        Device.QueueNotify(queue);
    }

    public static uint[] PfnRange(ulong gpa, ulong length) =>
        [.. Enumerable.Range(0, (int)(length / Residency.Page)).Select(i => (uint)(gpa / Residency.Page) + (uint)i)];

    public static byte[] Stats(params (ushort Tag, ulong Value)[] entries)
    {
        var bytes = new byte[entries.Length * 10];
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 10), entries[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 10 + 2), entries[i].Value);
        }
        return bytes;
    }

    public uint ReadConfig32(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        Device.ReadConfig(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void Dispose() => Set.Dispose();
}
