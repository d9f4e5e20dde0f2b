using Xenon.Devices.Tests.Support;
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

        // Each run gets its own 64 frames and chains, the warm-up's too (JIT, the stash's chain objects, first-use statics).
        var windows = Allocations.Measure(Prepare, () =>
        {
            rig.Device.OnBackendReadable();
            rig.Device.QueueNotify(Net.TransmitQueue);
        });

        Assert.Equal(windows.Runs * 64, rig.Device.Counters.RxPackets);
        Assert.Equal(windows.Runs * 64, rig.Device.Counters.TxPackets);
        windows.AssertNothingAllocated("serving 64 received and 64 sent frames");
    }
}
