using Xenon.Devices.Tests.Virtio;
using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>
/// Guest RAM with one <see cref="SplitRingDriver"/> and enabled <see cref="VirtQueue"/> per queue of a multi-queue
/// device (console, balloon, rng tests share it): queue q's rings live in their own 16 KiB block at
/// 0x10000 + q·0x4000, and test buffers are carved from <see cref="DataBase"/> upwards.
/// </summary>
internal sealed class QueueSet : IDisposable
{
    public const ulong DataBase = 0x400000;

    private ulong _nextBuffer = DataBase;

    public QueueSet(int queues, ushort size = 16, bool eventIdx = false, GuestMemory? memory = null)
    {
        Memory = memory ?? GuestMemory.Create([(0, 16 * X86Layout.MiB)]);
        Drivers = new SplitRingDriver[queues];
        Queues = new VirtQueue[queues];
        for (int q = 0; q < queues; q++)
        {
            ulong block = 0x10000 + (ulong)q * 0x4000;
            Drivers[q] = new SplitRingDriver(Memory, size, block, block + 0x1000, block + 0x2000);
            Queues[q] = Drivers[q].CreateQueue(eventIdx);
        }
    }

    public GuestMemory Memory { get; }
    public SplitRingDriver[] Drivers { get; }
    public VirtQueue[] Queues { get; }
    public QueueInterrupt Interrupt { get; } = new();

    /// <summary>A fresh buffer address (4 KiB aligned, never reused in a test).</summary>
    public ulong Allocate(uint length)
    {
        ulong at = _nextBuffer;
        _nextBuffer += (length + 0xfffUL) & ~0xfffUL;
        return at;
    }

    /// <summary>Offers one chain on queue <paramref name="q"/> (without kicking) and returns its head.</summary>
    public ushort Offer(int q, params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        ushort head = Drivers[q].AddChain(buffers);
        Drivers[q].Offer(head);
        return head;
    }

    /// <summary>Offers one device-readable buffer holding <paramref name="bytes"/>.</summary>
    public ushort OfferBytes(int q, ReadOnlySpan<byte> bytes)
    {
        ulong at = Allocate((uint)bytes.Length);
        Memory.Write(at, bytes);
        return Offer(q, (at, (uint)bytes.Length, false));
    }

    /// <summary>Offers one device-writable buffer of <paramref name="length"/> bytes, returns its address.</summary>
    public ulong OfferWritable(int q, uint length)
    {
        ulong at = Allocate(length);
        Offer(q, (at, length, true));
        return at;
    }

    /// <summary>Used elements of queue q published since <paramref name="from"/> (a used index the test remembered).</summary>
    public List<(uint Id, uint Length)> UsedSince(int q, ushort from)
    {
        var list = new List<(uint, uint)>();
        for (ushort i = from; i != Drivers[q].UsedIdx; i++) list.Add(Drivers[q].UsedElement(i));
        return list;
    }

    public byte[] Read(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.Read(address, bytes);
        return bytes;
    }

    public void Dispose() => Memory.Dispose();
}

/// <summary>Used-buffer interrupts per queue, and needs-reset reasons.</summary>
internal sealed class QueueInterrupt : IVirtioInterrupt
{
    private readonly int[] _signals = new int[64];

    public List<string> NeedsResetReasons { get; } = [];

    public int Signals(int queue) => _signals[queue];

    public void SignalUsedBuffers(int queueIndex) => _signals[queueIndex]++;

    public void SignalNeedsReset(string why) => NeedsResetReasons.Add(why);
}
