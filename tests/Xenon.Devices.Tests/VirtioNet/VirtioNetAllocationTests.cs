using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>The steady-state receive and transmit paths (pop, check, copy or gather, complete, notify) allocate nothing.</summary>
public sealed class VirtioNetAllocationTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void ServingFramesAllocatesNothing(bool mergeable, bool completeEarly)
    {
        using var rig = new NetRig(queueSize: 256, activate: false);
        rig.Device.TransmitCompletesEarly = completeEarly;
        rig.Activate(mergeable ? rig.AllFeatures : rig.WithoutMergeable);
        rig.Backend.RecordSent = false;
        var packets = new byte[64][];
        for (int i = 0; i < packets.Length; i++) packets[i] = NetRig.Packet(NetRig.Frame(60 + i * 37, seed: i));

        // Frames and chains are prepared up front, so only the device's work is measured.
        void Prepare()
        {
            for (int i = 0; i < 64; i++)
            {
                // Exactly the chains each frame needs, so nothing is left over from round to round.
                if (mergeable) for (int k = 0; k < (packets[i].Length + 1023) / 1024; k++) rig.PostRx(1024);
                else rig.PostRx(4096);
                rig.Backend.Enqueue(packets[i]);
                ulong at = NetRig.TxBuffers + (ulong)i * 0x1000;
                rig.Memory.Write(at, packets[i]);
                rig.Tx.Offer(i % 2 == 0
                    ? rig.Tx.AddChain((at, (uint)packets[i].Length, false))
                    : rig.Tx.AddChain((at, 12, false), (at + 12, (uint)packets[i].Length - 12, false)));
            }
        }

        Prepare();
        rig.Device.OnBackendReadable(); // warm-up: JIT, the stash's chain objects, first-use statics
        rig.Device.QueueNotify(Net.TransmitQueue);

        // Rounds until three in a row allocate nothing. The runtime's tiered JIT allocates on this thread now and then
        // while it promotes the methods (CI once saw 3 896 bytes in a fourth round); that settles, whereas an allocation
        // per frame would show in every round.
        var perRound = new List<long>();
        int clean = 0, rounds = 0;
        while (clean < 3 && rounds < 12)
        {
            Prepare();
            long before = GC.GetAllocatedBytesForCurrentThread();
            rig.Device.OnBackendReadable();
            rig.Device.QueueNotify(Net.TransmitQueue);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            perRound.Add(allocated);
            clean = allocated == 0 ? clean + 1 : 0;
            rounds++;
        }

        Assert.Equal((rounds + 1) * 64, rig.Device.Counters.RxPackets);
        Assert.Equal((rounds + 1) * 64, rig.Device.Counters.TxPackets);
        Assert.True(clean == 3, $"serving 64 received and 64 sent frames allocated, by round: {string.Join(", ", perRound)} bytes");
    }
}
