using System.Diagnostics;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// xl migrate-receive, inside the new domain process (docs/migration.md): warms the downtime's code on the freshly
/// built machine (<see cref="MigrationWarmup"/>, in <see cref="Prepare"/>), then reads the live stream as it arrives —
/// pages straight into the (not yet running) guest memory, the vCPU, platform and device records applied to the
/// parked machine as they come (<see cref="LiveStateApplier"/>) — and, once End has been read and every record's CRC
/// and the totals held, lets the devices complete their restore. The sender's Go follows its End on the stream
/// (protocol 3): only then, and only with everything applied, does the guest run; then Running is reported.
/// </summary>
/// <remarks>
/// Any failure before the guest runs is answered with an Error frame naming it, and the target is left for the
/// caller to discard: the guest has not run. A failure to report Running after resuming leaves the guest running
/// (the sender keeps its copy paused when it hears nothing).
/// </remarks>
public static class MigrationReceiver
{
    /// <summary>How long the parked vCPU threads spin after a pre-copy pass has been applied: if it was the last, the
    /// sender pauses, captures and sends the state within a few ms, and the vCPU state's apply then finds its thread
    /// running. Bounded again by the machine (3 ms by default; XENON_PARK_SPIN_MS=0: no spinning).</summary>
    private static readonly TimeSpan PassEndSpin = TimeSpan.FromMilliseconds(10);

    /// <summary>XENON_MIGRATE_GO_ON_POOL=1: the go is read on a pool thread while the devices complete, as before (for
    /// measuring); otherwise on the applying thread after them, where it is already waiting in the socket.</summary>
    internal static readonly bool GoOnPool = Environment.GetEnvironmentVariable("XENON_MIGRATE_GO_ON_POOL") == "1";

    /// <summary>Starts the target's vCPU threads parked and warms the apply path (<see cref="MigrationWarmup"/>): what
    /// <see cref="Receive"/> does first unless told the target is prepared. A domain process does it before it takes the
    /// stream, so that a receiver prepared ahead of the migration (<c>migrate-receive --prepare</c>) has it done before
    /// the sender connects. A failed warm-up is only logged.</summary>
    public static void Prepare(IRestoreTarget target, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        log ??= _ => { };
        var phases = new PhaseTimeline();
        target.StartParked();
        phases.Mark("vCPUs parked");
        WarmUp(target, log);
        phases.Mark("warmed");
        target.PrepareDevices();
        phases.Mark("devices prepared");
        log($"migration: prepared: {phases}");
    }

    /// <param name="goTimeout">How long to wait for the sender's Go after End.</param>
    /// <param name="prepared">True when <see cref="Prepare"/> ran on <paramref name="target"/> already.</param>
    public static MigrationReceiveResult Receive(IRestoreTarget target, MigrationChannel channel, TimeSpan goTimeout, Action<string>? log = null,
        bool prepared = false)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(channel);
        log ??= _ => { };
        var clock = Stopwatch.StartNew();
        var phases = new PhaseTimeline();
        string step = "starting the vCPU threads";
        DowntimeGcMode? lowLatency = null;
        try
        {
            if (!prepared)
            {
                // Now, while pre-copy runs, rather than after End: the pause-to-run window only applies state.
                target.StartParked();
                phases.Mark("vCPUs parked");
                // Before the first record is read: the sender starts pre-copy only once it has read Progress for the
                // memory map, so this runs while the guest still runs untouched at the source, not inside the downtime.
                step = "warming up";
                WarmUp(target, log);
                phases.Mark("warmed");
                target.PrepareDevices();
                phases.Mark("devices prepared");
            }
            step = "reading the migration stream";
            using var reader = new SaveStreamReader(channel.Receive);
            var state = new LiveStateApplier(target, "the migration stream");
            var pages = new LivePageLoader(target.Memory);
            TimeSpan endAt = default, firstState = default;
            ulong[]? streamedPages = null; // XENON_MIGRATE_VERIFY: the pages as the stream left them
            bool ended = false;
            Task<MigrationFrame?>? goRead = null;
            // The go is read on this thread; a sender that sends End but never its go is cut off by this, since a
            // stream need not have a receive timeout of its own. Made now, armed at End.
            bool goTimedOut = false;
            using var goGuard = new Timer(_ =>
            {
                Volatile.Write(ref goTimedOut, true);
                channel.Abort();
            });
            while (!ended && reader.TryReadRecord(out var record))
            {
                switch (record.Type)
                {
                    case SaveRecordType.MemoryRegionMap:
                        RestoredStateRecords.RequireSameRegions(record, target, "the sent memory map", "its configuration builds here");
                        // The sender skips pages that never had data: here they must read as zero, whatever the build left.
                        pages.ZeroAll();
                        break;
                    case SaveRecordType.MemoryPages:
                        state.RequireBeforeState(record);
                        pages.Apply(record);
                        // A short record ends a pass (the writer fills records up to PagesPerRecord).
                        if (record.MemoryPages.Count < SaveFormat.PagesPerRecord) target.SpinParkedVcpus(PassEndSpin);
                        break;
                    case SaveRecordType.End:
                        ended = true;
                        endAt = clock.Elapsed;
                        phases.Mark("End");
                        // The Go is right behind End, in the same write: by the time the devices have completed it waits in
                        // the socket, and reading it here costs one read, where a pool thread costs a hand-over each way.
                        if (GoOnPool) goRead = Task.Run(() => MigrationFraming.Read(channel.Receive));
                        else goGuard.Change(goTimeout, Timeout.InfiniteTimeSpan);
                        break;
                    case SaveRecordType.DomainConfig:
                        break; // the toolstack built this domain from it
                    default:
                        if (!state.StateSeen && record.Type is SaveRecordType.VcpuState or SaveRecordType.PlatformState or SaveRecordType.DeviceState)
                        {
                            // The source is paused from here on: the downtime.
                            lowLatency = new DowntimeGcMode();
                            firstState = clock.Elapsed;
                            phases.Mark("last pages");
                            if (MigrationMemoryDigest.Enabled)
                            {
                                streamedPages = MigrationMemoryDigest.PageHashes(target.Memory);
                                log($"migration: verify, memory streamed: {MigrationMemoryDigest.Describe(target.Memory, streamedPages)}");
                            }
                        }
                        step = "applying the domain's state";
                        bool applied = state.TryApply(record);
                        step = "reading the migration stream";
                        if (applied) break;
                        // A file's records (a memory image to map) have no place in a stream that arrives over a connection.
                        throw record.Error(0, "type", $"a {record.Type} record does not belong in a migration stream");
                }
                if (record.Type is SaveRecordType.DomainConfig or SaveRecordType.MemoryRegionMap or SaveRecordType.MemoryPages)
                {
                    if (record.Type == SaveRecordType.MemoryRegionMap) phases.Mark("first records");
                    // The sender waits on this for the build, after each pass, and before the pause (protocol 2). The
                    // state records come only while the guest is paused, and nobody waits for them: no write there.
                    MigrationFraming.WriteProgress(channel.Send, reader.Offset);
                }
            }
            if (!ended) throw new DomainRestoreException("the migration stream has no End record");
            var totals = reader.Totals;

            // The vCPU, platform and device records were applied as they came; what waits for End is the check that
            // every device had one and the devices' completion (BARs, doorbells, a kick per queue).
            step = "applying the domain's state";
            state.Complete();
            phases.Mark("devices completed");

            step = "waiting for the sender's go";
            var go = goRead is not null ? ReadGo(channel, goRead, goTimeout) : ReadGoHere(channel, goGuard, ref goTimedOut, goTimeout);
            phases.Mark("go");
            if (MigrationMemoryDigest.Enabled)
            {
                var receivedPages = MigrationMemoryDigest.PageHashes(target.Memory);
                log($"migration: verify, memory received: {MigrationMemoryDigest.Describe(target.Memory, receivedPages)}");
                if (streamedPages is not null) log($"migration: verify, applying the state: {MigrationMemoryDigest.ChangedPages(target.Memory, streamedPages, receivedPages)}");
            }
            bool paused = go.Text == "paused";
            var readyToResume = clock.Elapsed;
            long? resumedAtNs = null;
            if (!paused)
            {
                // Taken as the release begins (a lock and a pulse): a vCPU thread it wakes may preempt this one before
                // the call returns, and a stamp after it would count time the guest already ran.
                resumedAtNs = RunningReport.NowNs();
                target.ResumeVcpus();
            }
            phases.Mark(paused ? "left paused" : "resumed");
            lowLatency?.Dispose();
            var result = new MigrationReceiveResult(totals.DataPages, totals.ZeroPages, state.DeviceCount, paused, endAt, readyToResume - endAt, clock.Elapsed);
            try
            {
                MigrationFraming.Write(channel.Send, MigrationFrameType.Running, RunningReport.Format(paused, resumedAtNs));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                log($"migration: the domain runs, but the sender could not be told so: {e.Message}");
            }
            // After the report: their I/O threads' wake-ups no longer compete with the window's last steps.
            state.KickQueues();
            log($"migration: phases: {phases}; 0 at monotonic {phases.OriginNs} ns");
            log($"migration: apply (from the first state record, {(endAt - firstState).TotalMilliseconds:0.0} ms before End): {state.Profile}");
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lowLatency?.Dispose();
            string reason = $"{step}: {e.Message}";
            log($"migration: failed while {step}; phases: {phases}");
            try
            {
                MigrationFraming.Write(channel.Send, MigrationFrameType.Error, reason);
            }
            catch (Exception sendError) when (sendError is IOException or ObjectDisposedException or NotSupportedException)
            {
                log($"migration: could not tell the sender why: {sendError.Message}");
            }
            throw new DomainRestoreException($"migration refused: {reason}", e);
        }
    }

    /// <summary>Applies the target's own state to it once, so the apply after End runs warm. Its failure is only logged:
    /// the real apply does the same work and fails the migration itself if it must.</summary>
    private static void WarmUp(IRestoreTarget target, Action<string> log)
    {
        try
        {
            if (!MigrationWarmup.WarmReceiver(target)) log("migration: no warm-up (the target cannot capture its state)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log($"migration: warm-up failed (the migration goes on): {e.GetType().Name}: {e.Message}");
        }
    }

    private static MigrationFrame ReadGo(MigrationChannel channel, Task<MigrationFrame?> read, TimeSpan timeout)
    {
        // The stream has no read timeout of its own (a pipe has none): a sender that never answers is cut off here.
        if (!read.Wait(timeout))
        {
            channel.Abort();
            throw new TimeoutException($"no go from the sender within {timeout.TotalSeconds:0} s");
        }
        return CheckGo(read.GetAwaiter().GetResult());
    }

    private static MigrationFrame ReadGoHere(MigrationChannel channel, Timer guard, ref bool timedOut, TimeSpan timeout)
    {
        MigrationFrame? frame;
        try
        {
            frame = MigrationFraming.Read(channel.Receive);
        }
        catch (Exception e) when (e is IOException or MigrationProtocolException && Volatile.Read(ref timedOut))
        {
            throw new TimeoutException($"no go from the sender within {timeout.TotalSeconds:0} s", e);
        }
        guard.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (frame is null && Volatile.Read(ref timedOut)) throw new TimeoutException($"no go from the sender within {timeout.TotalSeconds:0} s");
        return CheckGo(frame);
    }

    private static MigrationFrame CheckGo(MigrationFrame? read)
    {
        var frame = read ?? throw new EndOfStreamException("the sender closed the connection before its go");
        if (frame.Type == MigrationFrameType.Error) throw new MigrationRefusedException($"the sender called the migration off: {frame.Text}");
        if (frame.Type != MigrationFrameType.Go) throw new MigrationProtocolException($"expected Go, the sender sent {frame.Type}");
        return frame;
    }
}
