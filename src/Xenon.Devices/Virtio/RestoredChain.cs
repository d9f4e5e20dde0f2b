using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio;

/// <summary>
/// Walks again a chain the saving device had popped but not completed (a receive buffer waiting for the rest of a
/// frame, a transmit chain half given to a slow backend). The avail ring has moved past it, so only its head was
/// saved; the descriptors are in the restored guest RAM and get the same checks as at the first pop.
/// </summary>
internal static class RestoredChain
{
    /// <summary>Re-walks <paramref name="head"/> of <paramref name="queue"/> into <paramref name="into"/>; null on success, else why not.</summary>
    public static string? TryWalk(GuestMemory memory, VirtQueue queue, ushort head, DescriptorChain into)
    {
        if (!queue.Ready) return "its queue is not enabled";
        if (head >= queue.Size) return $"head {head} is outside the queue's {queue.Size} entries";
        if (!memory.TryGetSpan(queue.DescriptorTable, (int)SplitRingLayout.DescriptorTableBytes(queue.Size), out var table))
            return "the descriptor table is outside guest RAM";
        var error = ChainWalker.Walk(memory, table, queue.Size, head, queue.IndirectDescriptors, queue.Limits, into, out ulong detail);
        return error == QueueError.None ? null : new QueueFault(error, head, detail).Describe();
    }

    /// <summary>Chains popped and not yet used on <paramref name="queue"/>: more held by the device is a corrupt state.</summary>
    public static int InFlight(VirtQueue queue) => (ushort)(queue.NextAvail - queue.NextUsed);
}
