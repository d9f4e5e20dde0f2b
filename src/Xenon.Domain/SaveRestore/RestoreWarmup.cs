using System.Text;
using Xenon.Devices.Virtio.Queue;
using Xenon.Domain.Save;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// Runs a restore's apply once on a prepared domain's own, never-run machine (<see cref="PreparedRestore"/>), so that
/// the real restore runs warm: the record reader, the state decoders, the vCPU and platform apply and every device's
/// restore and completion each run once per process, and the first time carries type loads, ReadyToRun fix-ups and
/// the JIT of what the image lacks. The machine's own state is written into a stream in memory and read back through
/// the restore's own path (<see cref="RestoredStateRecords"/>): the machine ends as it began, and the saved file's state
/// overwrites all of it later.
/// </summary>
internal static class RestoreWarmup
{
    /// <summary>False (nothing done) when the target cannot capture its parked state.</summary>
    /// <exception cref="Exception">Any step failed; the caller logs it (the real restore does the same work and fails
    /// itself if it must).</exception>
    public static bool Warm(IRestoreTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.CaptureParkedState() is not { } own) return false;
        using var bytes = OwnStateStream.Write(target, own, SaveFlags.None);
        using var reader = new SaveStreamReader(bytes);
        reader.ReadHeader();
        var state = new RestoredStateRecords(target.VcpuCount, "the warm-up stream");
        while (reader.TryReadRecord(out var record))
        {
            if (record.Type == SaveRecordType.MemoryRegionMap)
                RestoredStateRecords.RequireSameRegions(record, target, "the warm-up memory map", "the domain has");
            else if (record.Type is not (SaveRecordType.DomainConfig or SaveRecordType.End) && !state.TryTake(record))
                throw new InvalidOperationException($"the warm-up stream has a {record.Type} record");
        }
        reader.ExpectEndOfStream();
        // As SavedDomainReader.RestoreInto profiles them: the profile's own code is part of the restore.
        var machineSteps = new RestoreProfile();
        using (machineSteps.Enter()) state.StartMachine(target);
        var deviceSteps = new StringBuilder();
        state.RestoreDevices(target, deviceSteps);
        state.KickQueues();
        _ = machineSteps.Summary("vCPU and platform");
        WarmFirstChain();
        return true;
    }

    /// <summary>The code a device's first descriptor chain after the restore runs that the never-run machine's queues
    /// (no driver, nothing popped) do not reach: the chain's spans, whose constructor over this struct is generic code of
    /// another assembly, absent from the ReadyToRun image.</summary>
    private static void WarmFirstChain()
    {
        var chain = new DescriptorChain();
        _ = chain.Readable.Length + chain.Writable.Length + chain.Segments.Length;
    }
}
