using System.Text;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.Backend;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// Runs the code of a migration's downtime once before the pause, off the critical path (docs/migration.md, "Warm
/// paths"). Each of those steps runs once per process, so the first time is the one inside the downtime: type loads,
/// ReadyToRun fix-ups, JIT of what it does not cover, first-touch page faults. Under an emulated host that first time
/// cost more than a second per side.
/// </summary>
/// <remarks>
/// Neither side changes anything the migration depends on. The sender encodes a state that can be read without
/// pausing (<see cref="IMigrationSource.LiveWarmupState"/>), or a synthetic one, and the devices' state where they
/// can snapshot it while running (<see cref="IMigrationSource.DeviceStatesReadableLive"/>), into a stream it throws
/// away: the guest keeps running and nothing is changed. The receiver "migrates" its own freshly built, never-run machine into
/// itself (capture, encode, write, read, decode, apply vCPU, platform and device state): the machine ends as it began,
/// and the stream's real state overwrites all of it later.
/// </remarks>
public static class MigrationWarmup
{
    /// <summary>A stand-in device blob: the record path, not the device's own encoder (which needs a paused domain).</summary>
    private static readonly byte[] SyntheticDeviceState = new byte[64];

    /// <summary>Encodes and writes the last round's records into a discarded stream. Does not pause the guest.</summary>
    public static void WarmSender(IMigrationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var state = source.LiveWarmupState() ?? SyntheticState(1);
        using var writer = new SaveStreamWriter(Stream.Null, source.Header with { Flags = source.Header.Flags | SaveFlags.Live });
        writer.WriteDomainConfig(Encoding.UTF8.GetBytes(source.ConfigJson));
        writer.WriteMemoryRegionMap(source.Memory);
        for (int i = 0; i < state.Vcpus.Count; i++) writer.WriteVcpuState(i, VcpuStateCodec.Encode(state.Vcpus[i]));
        writer.WritePlatformState(PlatformStateCodec.Encode(state.Platform));
        foreach (var device in source.DeviceStates.Devices)
        {
            if (source.DeviceStatesReadableLive) writer.WriteDeviceState(device);
            else writer.WriteDeviceState(device.StateId, SyntheticDeviceState);
        }
        writer.WriteEnd();
        // The go is the sender's first frame write (it has only read frames so far).
        MigrationFraming.Write(Stream.Null, MigrationFrameType.Go, "running");
    }

    /// <summary>
    /// Applies the parked target's own state to it through the receiver's whole path. False (nothing done) when the
    /// target cannot capture its state (<see cref="IRestoreTarget.CaptureParkedState"/> is null).
    /// </summary>
    /// <exception cref="Exception">Any step failed; the caller logs it and goes on (the real state is applied after End anyway).</exception>
    public static bool WarmReceiver(IRestoreTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.CaptureParkedState() is not { } own) return false;
        using var bytes = OwnStateStream.Write(target, own, SaveFlags.Live);
        using var reader = new SaveStreamReader(bytes);
        // The receiver's own applier, records applied as they are read, as the real stream's are.
        var state = new LiveStateApplier(target, "the warm-up stream");
        while (reader.TryReadRecord(out var record))
        {
            if (record.Type == SaveRecordType.MemoryRegionMap)
                RestoredStateRecords.RequireSameRegions(record, target, "the warm-up memory map", "the domain has");
            else if (record.Type is not (SaveRecordType.DomainConfig or SaveRecordType.End) && !state.TryApply(record))
                throw new InvalidOperationException($"the warm-up stream has a {record.Type} record");
        }
        state.Complete();
        state.KickQueues();
        // After End the receiver arms the go's guard timer and reads the go on its own thread: the first frame read,
        // the timer's first arming. (Measured the old way, on a pool thread: that thread's first run too.)
        using var frame = new MemoryStream();
        MigrationFraming.Write(frame, MigrationFrameType.Go, "running");
        frame.Position = 0;
        using (var guard = new Timer(_ => { }))
        {
            guard.Change(TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
            if (MigrationReceiver.GoOnPool) Task.Run(() => MigrationFraming.Read(frame)).GetAwaiter().GetResult();
            else MigrationFraming.Read(frame);
            guard.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        return true;
    }

    /// <summary>A state with every part present, for encoders that must not read a running machine.</summary>
    private static MachineState SyntheticState(int vcpus)
    {
        var states = new VcpuState[vcpus];
        for (int i = 0; i < vcpus; i++) states[i] = SyntheticVcpu();
        return new MachineState(states, new PlatformState());
    }

    /// <summary>A vCPU state with entries in every table, so that the encoder's loops run as on a real one.</summary>
    internal static VcpuState SyntheticVcpu() =>
        new() { Cpuid = new CpuidEntry[32], Msrs = new MsrEntry[32], Xsave = new byte[4096], Xcrs = [new XcrEntry(0, 3)] };
}
