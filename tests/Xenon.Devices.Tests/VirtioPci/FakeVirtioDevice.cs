using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Tests.VirtioPci;

/// <summary>A virtio device that records what the transport tells it.</summary>
internal sealed class FakeVirtioDevice(ushort deviceType = 2, ulong features = FakeVirtioDevice.FeatureA | FakeVirtioDevice.FeatureB, params ushort[] queueSizes) : IVirtioDevice
{
    public const ulong FeatureA = 1UL << 0;
    public const ulong FeatureB = 1UL << 5;

    private readonly ushort[] _queueSizes = queueSizes.Length == 0 ? [256, 128] : queueSizes;

    public byte[] ConfigBytes { get; } = Enumerable.Range(0, 16).Select(i => (byte)(0xa0 + i)).ToArray();
    public List<(ulong Features, IReadOnlyList<VirtQueue> Queues, IVirtioInterrupt Interrupt)> Activations { get; } = [];
    public List<int> Notifications { get; } = [];
    public List<(int Offset, byte[] Data)> ConfigWrites { get; } = [];
    public int Resets { get; private set; }

    public ushort DeviceType => deviceType;
    public ulong DeviceFeatures => features;
    public IReadOnlyList<ushort> QueueMaxSizes => _queueSizes;

    public void ReadConfig(int offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
            data[i] = (uint)(offset + i) < (uint)ConfigBytes.Length ? ConfigBytes[offset + i] : (byte)0;
    }

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => ConfigWrites.Add((offset, data.ToArray()));

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt) =>
        Activations.Add((features, queues, interrupt));

    public void QueueNotify(int queueIndex) => Notifications.Add(queueIndex);

    public void Reset() => Resets++;
}
