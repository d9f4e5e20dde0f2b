using Xenon.Devices.Tests.Support;
using Xenon.Devices.Virtio.Block;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>The request path (pop, parse, pread/pwrite into guest RAM, complete, notify) allocates nothing.</summary>
public sealed class VirtioBlockAllocationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // O_DIRECT: page-aligned data straight through, GET_ID/unaligned paths unchanged
    public void ServingRequestsAllocatesNothing(bool directIo)
    {
        using var rig = new BlockRig(sectors: 64, directIo: directIo);
        if (directIo && !rig.Backend.IsDirect) Assert.Skip($"no O_DIRECT here: {rig.Backend.DirectUnavailableReason}");
        // Requests written into the rings up front, so only the device's work is measured.
        void Offer(int i)
        {
            ulong header = BlockRig.HeaderAddress + (ulong)(i % 64) * 16;
            var type = (i % 4) switch { 0 => BlockRequestType.In, 1 => BlockRequestType.Out, 2 => BlockRequestType.GetId, _ => BlockRequestType.WriteZeroes };
            rig.WriteHeader(type, (ulong)(i % 60), header);
            ushort head = type == BlockRequestType.WriteZeroes
                ? rig.Driver.AddChain((header, 16, false), (BlockRig.SegmentAddress, 16, false), (BlockRig.StatusAddress, 1, true))
                : rig.Driver.AddChain((header, 16, false), (BlockRig.DataAddress, 1024, type == BlockRequestType.In || type == BlockRequestType.GetId), (BlockRig.StatusAddress, 1, true));
            rig.Driver.Offer(head);
        }
        rig.WriteSegment(3, 2, 0);

        // Each run offers its own 64 requests (the warm-up's too: JIT, first-use statics), so the count follows the runs.
        var windows = Allocations.Measure(
            prepare: () => { for (int i = 0; i < 64; i++) Offer(i); },
            measured: () => rig.Device.QueueNotify(0));

        Assert.Equal(windows.Runs * 64, rig.Driver.UsedIdx);
        windows.AssertNothingAllocated("serving 64 requests");
    }
}
