using System.Buffers;
using System.Buffers.Binary;
using Xenon.Devices.State;
using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Tests.State;

/// <summary>
/// A device that completes every chain it is kicked for (used length = the chain's writable bytes) and counts them.
/// The count is its own state (kind "echo"), so the transport embeds it; <see cref="Stateless"/> has none.
/// </summary>
internal class EchoVirtioDevice : IVirtioDevice
{
    private IReadOnlyList<VirtQueue>? _queues;
    private IVirtioInterrupt? _interrupt;

    public ushort DeviceType => 2;
    public ulong DeviceFeatures => 0;
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [64];
    public int Completed { get; set; }
    public List<ushort> Heads { get; } = [];

    public void ReadConfig(int offset, Span<byte> data) => data.Clear();

    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt)
    {
        _queues = queues;
        _interrupt = interrupt;
    }

    public void QueueNotify(int queueIndex)
    {
        var q = _queues![queueIndex];
        while (q.TryPopAvailable(out var chain, out _))
        {
            Heads.Add(chain.HeadIndex);
            q.AddUsed(chain.HeadIndex, (uint)chain.WritableBytes);
            Completed++;
        }
        if (q.NeedsNotification()) _interrupt!.SignalUsedBuffers(queueIndex);
    }

    public void Reset()
    {
        _queues = null;
        Completed = 0;
    }

    internal sealed class Stateful : EchoVirtioDevice, IStateful
    {
        public int SaveState(IBufferWriter<byte> output)
        {
            var w = StateWriter.Begin(output, "echo", 1);
            w.U32((uint)Completed);
            return w.Written;
        }

        public void RestoreState(ReadOnlySpan<byte> state)
        {
            var r = StateReader.Open(state, "echo", 1);
            Completed = (int)r.U32("completed");
            r.End();
        }
    }
}
