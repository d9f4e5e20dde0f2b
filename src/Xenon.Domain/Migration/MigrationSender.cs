using System.Diagnostics;
using System.Text;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// xl migrate, the sending side (docs/migration.md): waits for the receiver's banner, sends the configuration and
/// memory map and waits until the destination has built its domain, turns on dirty logging, sends every page of
/// memory (a save stream with the Live flag) while the guest runs, warms the downtime's code
/// (<see cref="MigrationWarmup"/>), then rounds of the pages written meanwhile until <see cref="PrecopyRounds"/> says
/// stop; then pauses the vCPUs, parks the device threads, and sends the last dirty pages, the vCPU, platform and
/// device state, End and, right behind it in the same write, the go (protocol 3). The migration succeeds when the
/// receiver reports the domain running: the caller then ends the source (paused and quiesced until then).
/// </summary>
/// <remarks>
/// Any failure before the go — connection, send, the receiver refusing, a timeout — and a receiver's Error after it
/// resume the source (devices, then vCPUs, dirty logging off) and throw a <see cref="MigrationException"/> naming the
/// step. If the go was sent and no answer came, the receiver may be running the domain: the source then stays paused
/// (<see cref="MigrationException.SourceRunning"/> false) rather than risk the guest running twice on one disk.
/// </remarks>
public static class MigrationSender
{
    /// <summary>What the last write is expected to carry at most (one staging of the save stream writer, End, the go);
    /// rented before the bytes come, grown if they need more.</summary>
    private const int HeldCapacity = 288 << 10;

    /// <summary>XENON_MIGRATE_DISPOSE_FIRST=1: the save stream writer is disposed before Running is waited for, and the
    /// downtime ends when this thread takes Running, as before (for measuring).</summary>
    private static readonly bool DisposeFirst = Environment.GetEnvironmentVariable("XENON_MIGRATE_DISPOSE_FIRST") == "1";

    public static MigrationResult Migrate(IMigrationSource source, MigrationChannel channel, MigrationPolicy policy,
        string destination, bool leavePaused = false, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(policy);
        log ??= _ => { };
        var total = Stopwatch.StartNew();
        var phases = new PhaseTimeline();
        string step = "waiting for the receiver";
        bool pausedHere = false, quiesced = false, logging = false, sentGo = false;
        bool wasPaused = source.VcpusPaused;
        var rounds = new List<MigrationRound>();
        var counted = new CountingStream(channel.Send);
        using var inbox = new FrameInbox(channel);
        DowntimeGcMode? lowLatency = null;
        try
        {
            inbox.Take(MigrationFrameType.Ready, policy.ReplyTimeout);
            phases.Mark("ready");

            var header = source.Header with { Flags = source.Header.Flags | SaveFlags.Live };
            ulong ramBytes = 0;
            foreach (var r in source.Memory.Regions) ramBytes += r.Size;
            var pfns = new ulong[ramBytes / SaveFormat.PageSize];
            var precopy = new PrecopyRounds(policy, ramBytes);
            PrecopyStopReason stop;
            TimeSpan downtimeStart, stopCopy;
            long pausedAt; // Stopwatch ticks, the same instant as downtimeStart
            MigrationFrame running = default;
            long runningAt = 0;
            JitSnapshot pauseJit = default, goJit = default;
            ulong[]? verifyLastPages = null; // XENON_MIGRATE_VERIFY: the source's pages when the last dirty set was taken
            byte[] go;
            using (var writer = new SaveStreamWriter(counted, header))
            {
                step = "sending the domain configuration";
                writer.WriteDomainConfig(Encoding.UTF8.GetBytes(source.ConfigJson));
                writer.WriteMemoryRegionMap(source.Memory);
                writer.Flush();
                // The receiver reads these only once its domain process has built (and warmed) the machine: memory
                // goes after that, so the destination's start is neither logged dirty nor counted in the link's rate.
                step = "waiting for the destination to build the domain";
                inbox.WaitForProgress(counted.Written, policy.BuildTimeout);
                phases.Mark("destination built");

                step = "starting dirty logging";
                source.StartDirtyLog();
                logging = true;
                phases.Mark("dirty log on");

                step = "sending guest memory";
                var sendClock = Stopwatch.StartNew();
                long before = counted.Written;
                // Only the pages the host ever gave the guest: the rest read as zero and are zero on the receiver
                // (it zeroes its RAM at the map), so reading them would only fault them in (PopulatedPages).
                int populated = PopulatedPages.Collect(source.Memory, pfns);
                writer.WriteMemoryPages(source.Memory, pfns.AsSpan(0, populated));
                writer.Flush();
                phases.Mark("full pass sent");
                CatchUp(inbox, counted, policy, ref step);
                phases.Mark("full pass applied");
                rounds.Add(new MigrationRound(0, (ulong)populated, (ulong)(counted.Written - before), sendClock.Elapsed, Paused: false));
                log($"migration to {destination}: full pass: {rounds[^1].Pages} pages ({ramBytes / SaveFormat.PageSize - (ulong)populated} never touched, not sent), {rounds[^1].Bytes} bytes in {rounds[^1].Duration.TotalMilliseconds:0} ms");
                WarmUp(source, log, destination);
                phases.Mark("warmed");

                while (true)
                {
                    int dirty = source.CollectDirtyPages(pfns);
                    double rate = sendClock.Elapsed.TotalSeconds > 0 ? counted.Written / sendClock.Elapsed.TotalSeconds : 0;
                    stop = precopy.Decide((ulong)dirty, (ulong)counted.Written, rate);
                    // The set that ends pre-copy is sent live too (the log no longer holds it): what the pause must
                    // carry is then only what the guest writes during this short last round, not a whole round's worth.
                    step = stop == PrecopyStopReason.None ? $"sending dirty pages (round {precopy.Rounds})" : "sending the dirty pages that end pre-copy";
                    if (dirty > 0)
                    {
                        var roundClock = Stopwatch.StartNew();
                        before = counted.Written;
                        writer.WriteMemoryPages(source.Memory, pfns.AsSpan(0, dirty));
                        writer.Flush();
                        CatchUp(inbox, counted, policy, ref step);
                        rounds.Add(new MigrationRound(rounds.Count, (ulong)dirty, (ulong)(counted.Written - before), roundClock.Elapsed, Paused: false));
                    }
                    if (stop != PrecopyStopReason.None)
                    {
                        log($"migration to {destination}: pre-copy ends after {precopy.Rounds} rounds ({stop}): {dirty} dirty pages sent live at {rate / 1e6:0.0} MB/s");
                        break;
                    }
                }

                phases.Mark($"{precopy.Rounds} rounds");
                go = MigrationFraming.Encode(MigrationFrameType.Go, wasPaused || leavePaused ? "paused" : "running");
                step = "pausing the vCPUs";
                pausedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                downtimeStart = total.Elapsed;
                pauseJit = JitSnapshot.Take();
                lowLatency = new DowntimeGcMode();
                if (!source.VcpusPaused)
                {
                    source.PauseVcpus();
                    pausedHere = true;
                }
                phases.Mark("paused");
                step = "quiescing device I/O";
                source.QuiesceDevices();
                quiesced = true;
                phases.Mark("quiesced");

                var finalClock = Stopwatch.StartNew();
                before = counted.Written;
                step = "capturing the vCPU and platform state";
                var machine = source.CaptureMachineState();
                phases.Mark("captured");
                // After the capture: anything the backend wrote to guest memory while the state was read goes too.
                step = "sending the last dirty pages";
                int last = source.CollectDirtyPages(pfns);
                writer.WriteMemoryPages(source.Memory, pfns.AsSpan(0, last));
                phases.Mark($"last {last} pages");
                if (MigrationMemoryDigest.Enabled) verifyLastPages = MigrationMemoryDigest.PageHashes(source.Memory);
                step = "sending the vCPU, platform and device state";
                for (int i = 0; i < machine.Vcpus.Count; i++) writer.WriteVcpuState(i, VcpuStateCodec.Encode(machine.Vcpus[i]));
                writer.WritePlatformState(PlatformStateCodec.Encode(machine.Platform));
                phases.Mark("vCPU and platform state");
                writer.WriteDeviceStates(source.DeviceStates);
                // End's flush and the go leave in one write (CountingStream.Hold): a second write would come only
                // after the receiver, woken by the first, let this thread have the CPU back, a scheduler slice later.
                counted.Hold(HeldCapacity);
                writer.WriteEnd();
                phases.Mark("devices and End staged");
                stopCopy = total.Elapsed - downtimeStart;
                rounds.Add(new MigrationRound(rounds.Count, (ulong)last, (ulong)(counted.Written - before), finalClock.Elapsed, Paused: true));

                // Go follows End at once (protocol 3): the receiver runs the domain as soon as it has checked and applied
                // everything, without a round trip inside the downtime. It is a go only for a complete stream: a receiver
                // that fails before that answers Error instead, and the source resumes below. Sent before the writer's
                // Dispose, so that nothing this thread does delays the receiver's apply.
                step = "sending End and telling the receiver to run the domain";
                counted.Release(go);
                sentGo = true;
                phases.Mark("End and go sent");
                goJit = JitSnapshot.Take();
                // Running is waited for before the writer's Dispose: what this thread does after the go (2–10 ms
                // measured for the Dispose on a loaded build host, most of it this thread descheduled while the
                // receiver's threads woke) must not come between the receiver's answer and its reading here.
                if (!DisposeFirst) running = WaitForRunning(inbox, policy, phases, ref step, out runningAt);
            }
            phases.Mark("writer disposed");
            if (MigrationMemoryDigest.Enabled)
            {
                var sentPages = MigrationMemoryDigest.PageHashes(source.Memory);
                log($"migration to {destination}: verify, memory sent: {MigrationMemoryDigest.Describe(source.Memory, sentPages)}");
                if (verifyLastPages is not null) log($"migration to {destination}: verify, after the last pages were collected: {MigrationMemoryDigest.ChangedPages(source.Memory, verifyLastPages, sentPages)}");
            }
            if (DisposeFirst)
            {
                running = WaitForRunning(inbox, policy, phases, ref step, out _);
                runningAt = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            // The downtime ends when this process read Running off the connection (the inbox's thread), not when this
            // thread took it: that hand-over, and writing the log below, are not time the guest stood still.
            var downtime = System.Diagnostics.Stopwatch.GetElapsedTime(pausedAt, runningAt);
            var ranAt = downtimeStart + downtime;
            lowLatency?.Dispose();
            var report = RunningReport.Parse(running.Text);
            var resumedAfter = report.ResumedAfter(RunningReport.TicksToNs(pausedAt), downtime);
            log($"migration to {destination}: phases: {phases}; pause to go: {pauseJit.AppendUntil(new StringBuilder(), goJit)}; 0 at monotonic {phases.OriginNs} ns");
            log(FormattableString.Invariant(
                $"migration to {destination}: downtime {downtime.TotalMilliseconds:0.00} ms (pause to Running read here); the destination let its vCPUs go {(resumedAfter is { } after ? after.TotalMilliseconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " ms after the pause" : "at an unknown time (another clock)")}"));
            var result = new MigrationResult((ulong)counted.Written, rounds, stop, downtime, stopCopy, ranAt, report.State)
            {
                ResumedAfterPause = resumedAfter,
            };
            inbox.Dispose();
            StopLogging(source, ref logging);
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lowLatency?.Dispose();
            if (e is IOException or ObjectDisposedException) inbox.WaitForEnd(TimeSpan.FromSeconds(2));
            log($"migration to {destination}: failed while {step}, {counted.Written} bytes sent: {e.GetType().Name}: {e.Message}; phases: {phases}");
            string reason = inbox.Refusal is { } refusal && e is not MigrationRefusedException
                ? $"the receiver refused the domain: {refusal}"
                : e is MigrationRefusedException ? $"the receiver refused the domain: {e.Message}" : e.Message;
            inbox.Dispose();
            channel.Abort();
            // A Release that failed before its write returned did not hand over the go's last byte (its CRC): the
            // receiver cannot run the domain, so the source resumes.
            sentGo |= counted.TrailerWritten;
            bool unknown = sentGo && inbox.Refusal is null && e is not MigrationRefusedException;
            if (unknown)
            {
                throw new MigrationException(
                    $"migration to {destination}: {step}: {reason}; the receiver was told to run the domain and may be running it, " +
                    "so it stays paused here (check the destination, then unpause or destroy this copy)", sourceRunning: false, e);
            }
            // Devices first, so that kicks the resumed vCPUs send are served; the log goes last, as it costs the guest nothing.
            if (quiesced) source.ResumeDevices();
            if (pausedHere) source.ResumeVcpus();
            try
            {
                StopLogging(source, ref logging);
            }
            catch (Exception stopError) when (stopError is not OutOfMemoryException)
            {
                log($"migration to {destination}: dirty logging stays on: {stopError.Message}");
            }
            throw new MigrationException($"cannot migrate to {destination}: {step}: {reason}", sourceRunning: true, e);
        }
    }

    private static MigrationFrame WaitForRunning(FrameInbox inbox, MigrationPolicy policy, PhaseTimeline phases, ref string step, out long receivedAt)
    {
        step = "waiting for the receiver to report the domain running";
        var running = inbox.Take(MigrationFrameType.Running, policy.ReplyTimeout, out receivedAt);
        phases.Mark("running");
        return running;
    }

    /// <summary>Waits until the receiver has applied everything sent so far. Without it, bytes still in socket buffers
    /// and relays would make the measured rate a lie and would be paid for after the pause, inside the downtime.</summary>
    private static void CatchUp(FrameInbox inbox, CountingStream counted, MigrationPolicy policy, ref string step)
    {
        string previous = step;
        step = "waiting for the receiver to take the pages sent";
        inbox.WaitForProgress(counted.Written, policy.ReplyTimeout);
        step = previous;
    }

    /// <summary>The downtime's encode and write paths, once, before the pause (<see cref="MigrationWarmup"/>). A failure
    /// here costs only the warm-up: the real pass does the same work and reports its own errors.</summary>
    private static void WarmUp(IMigrationSource source, Action<string> log, string destination)
    {
        try
        {
            MigrationWarmup.WarmSender(source);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log($"migration to {destination}: warm-up failed (the migration goes on): {e.GetType().Name}: {e.Message}");
        }
    }

    private static void StopLogging(IMigrationSource source, ref bool logging)
    {
        if (!logging) return;
        logging = false;
        source.StopDirtyLog();
    }
}
