using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>
/// Random receive buffers, transmit chains and backend frames, well-formed and hostile, interleaved with kicks and
/// readiness: nothing throws, nothing outside the posted buffers is written, every transmit chain completes, and
/// every frame taken from the backend is either delivered, counted as dropped, or still waiting.
/// </summary>
public sealed class VirtioNetFuzzTests
{
    private const ulong RxArea = 0x100000, RxAreaSize = 0x200000;
    private const ulong TxArea = 0x400000, TxAreaSize = 0x200000;
    private const ulong Canary = 0x800000;
    private const int CanaryLength = 0x100000;
    private const ushort QueueSize = 64;

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void RandomTrafficKeepsTheInvariants(int seed, bool mergeable)
    {
        using var rig = new NetRig(queueSize: QueueSize, activate: false);
        rig.Activate(mergeable ? rig.AllFeatures : rig.WithoutMergeable);
        rig.Backend.RecordSent = false;
        var rng = new Random(seed);
        var canary = new byte[CanaryLength];
        rng.NextBytes(canary);
        rig.Memory.Write(Canary, canary);
        var txRandom = new byte[TxAreaSize];
        rng.NextBytes(txRandom);
        rig.Memory.Write(TxArea, txRandom);

        int rxOffered = 0, txOffered = 0, enqueued = 0;
        for (int step = 0; step < 4000; step++)
        {
            switch (rng.Next(7))
            {
                case 0 when (ushort)(rxOffered - rig.Rx.UsedIdx) < QueueSize / 2:
                    rig.Rx.Offer(rig.Rx.AddChain(RandomBuffers(rng, RxArea, RxAreaSize, writable: true)));
                    rxOffered++;
                    break;
                case 1 when (ushort)(txOffered - rig.Tx.UsedIdx) < QueueSize / 2:
                    var buffers = RandomBuffers(rng, TxArea, TxAreaSize, writable: false);
                    // Mostly a plausible header (as a driver writes it); otherwise whatever bytes are there.
                    if (rng.Next(3) != 0 && buffers[0].Item1 != NetRig.OutsideRam)
                        rig.Memory.Write(buffers[0].Item1, NetRig.Header((byte)rng.Next(2), (byte)(rng.Next(8) == 0 ? 1 : 0)).AsSpan(0, (int)Math.Min(buffers[0].Item2, 12u)));
                    rig.Tx.Offer(rig.Tx.AddChain(buffers));
                    txOffered++;
                    break;
                case 2:
                    rig.Backend.Enqueue(RandomPacket(rng));
                    enqueued++;
                    break;
                case 3:
                    rig.Device.QueueNotify(Net.ReceiveQueue);
                    break;
                case 4:
                    rig.Device.QueueNotify(Net.TransmitQueue);
                    break;
                default:
                    rig.Device.OnBackendReadable();
                    break;
            }
        }
        rig.Device.QueueNotify(Net.TransmitQueue);

        var c = rig.Device.Counters;
        string summary = $"rx {c.RxPackets} delivered, {c.RxDroppedTooLarge} too large, {c.RxDroppedMalformed} malformed, {c.RxBadChains} bad chains; "
            + $"tx {c.TxPackets} sent, {c.TxDroppedMalformed} malformed, {c.TxDroppedTooLarge} too large, {c.TxBadChains} bad chains";
        Assert.Empty(rig.Interrupt.NeedsResetReasons);
        Assert.Equal(canary, rig.GuestBytes(Canary, CanaryLength));
        Assert.Equal((ushort)txOffered, rig.Tx.UsedIdx);
        Assert.Equal(txOffered, c.TxPackets + c.TxDropped + c.TxBadChains);
        long taken = enqueued - rig.Backend.Pending;
        long accounted = c.RxPackets + c.RxDropped;
        Assert.True(taken - accounted is 0 or 1, $"{taken} frames taken from the backend, {accounted} accounted for ({summary})");
        // The generator must reach each outcome, or the invariants prove little.
        Assert.True(c.RxPackets > 50 && c.RxDroppedMalformed > 10 && c.RxBadChains > 10 && c.TxPackets > 50
            && c.TxDroppedMalformed > 10 && c.TxBadChains > 10, summary);
    }

    private static (ulong, uint, bool)[] RandomBuffers(Random rng, ulong area, ulong areaSize, bool writable)
    {
        var buffers = new (ulong, uint, bool)[rng.Next(1, 4)];
        for (int i = 0; i < buffers.Length; i++)
        {
            uint length = rng.Next(10) switch
            {
                0 => 0, // zero-length: a chain fault
                1 => (uint)rng.Next(1, 16),
                2 => (uint)rng.Next(4000, 70000),
                _ => (uint)rng.Next(16, 2000),
            };
            ulong address = rng.Next(20) == 0 ? NetRig.OutsideRam : area + (ulong)rng.NextInt64(0, (long)(areaSize - 70000));
            // Now and then a device-readable buffer in a receive chain or the reverse.
            bool w = rng.Next(15) == 0 ? !writable : writable;
            buffers[i] = (address, length, w);
        }
        return buffers;
    }

    private static byte[] RandomPacket(Random rng)
    {
        int length = rng.Next(10) switch
        {
            0 => rng.Next(0, 26),
            1 => rng.Next(3000, 20000),
            _ => rng.Next(26, 1600),
        };
        var packet = new byte[length];
        rng.NextBytes(packet);
        if (length >= 2 && rng.Next(3) != 0)
        {
            packet[0] = (byte)(rng.Next(4) == 0 ? 1 : 0);
            packet[1] = (byte)(rng.Next(4) == 0 ? 1 : 0);
        }
        return packet;
    }
}
