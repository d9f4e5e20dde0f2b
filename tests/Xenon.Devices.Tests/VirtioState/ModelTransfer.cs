using Xenon.Devices.State;
using Xenon.Devices.Tests.State;
using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioState;

/// <summary>
/// Moves a device model into a fresh instance the way VirtioPciDevice.RestoreState does: the queues first (a new
/// VirtQueue per saved queue state, over the same guest RAM, which stands for the restored memory), then the model's
/// blob, then Activate with the restored queues.
/// </summary>
internal static class ModelTransfer
{
    public static VirtQueue[] CopyQueues(GuestMemory memory, IReadOnlyList<VirtQueue> queues)
    {
        var copies = new VirtQueue[queues.Count];
        for (int i = 0; i < copies.Length; i++)
        {
            copies[i] = new VirtQueue(memory, queues[i].MaxSize, queues[i].Limits);
            copies[i].SetState(queues[i].GetState());
        }
        return copies;
    }

    /// <summary>Saves <paramref name="from"/> (quiesced first), restores into <paramref name="into"/> and activates it; returns the blob.</summary>
    public static byte[] Move<T>(T from, T into, GuestMemory memory, IReadOnlyList<VirtQueue> queues, ulong features, IVirtioInterrupt interrupt,
        out VirtQueue[] restoredQueues) where T : IVirtioDevice, IStateful, IQuiescable
    {
        from.Quiesce();
        byte[] blob = StateBlob.Save(from);
        restoredQueues = CopyQueues(memory, queues);
        into.RestoreState(blob);
        into.Activate(features, restoredQueues, interrupt);
        return blob;
    }

    /// <summary>A blob of another kind, and the same blob claiming a later layout version.</summary>
    public static void AssertRefusesKindAndVersion(byte[] blob, byte[] otherKind, Func<IStateful> fresh, string kind)
    {
        var e = Assert.Throws<DeviceStateException>(() => fresh().RestoreState(otherKind));
        Assert.Contains("'kind'", e.Message);
        var later = (byte[])blob.Clone();
        later[1 + kind.Length] = 99;
        e = Assert.Throws<DeviceStateException>(() => fresh().RestoreState(later));
        Assert.Contains("'version'", e.Message);
        e = Assert.Throws<DeviceStateException>(() => fresh().RestoreState(blob[..^1]));
        Assert.Contains("truncated", e.Message);
    }
}
