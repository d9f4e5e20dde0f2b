using Xenon.Domain.Migration;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Domain.Tests.SaveRestore;
using Xenon.Machine.Memory;

using static Xenon.Domain.Tests.Migration.MigrationRig;

namespace Xenon.Domain.Tests.Migration;

/// <summary>
/// A live migration end to end between fake domains over a loopback socket: pre-copy rounds carry what the guest writes,
/// nothing runs on the receiver before End and the go, and every failure — refused, dropped, corrupted, unanswered —
/// leaves the source running (or, after an unanswered go, paused) and the receiver's copy unstarted.
/// </summary>
public sealed class MigrationTests
{
    private static void AssertSameMemory(GuestMemory expected, GuestMemory actual)
    {
        foreach (var region in expected.Regions)
            for (ulong gpa = region.GuestAddress; gpa < region.End; gpa += 4096)
                Assert.True(expected.GetSpan(gpa, 4096).SequenceEqual(actual.GetSpan(gpa, 4096)), $"page 0x{gpa:x} differs");
    }

    /// <summary>Every pause and quiesce was undone and the log is off: the source runs as before.</summary>
    private static void AssertRunsAgain(FakeDomain d)
    {
        Assert.Equal(d.Events.Count(e => e == "pause"), d.Events.Count(e => e == "resume vcpus"));
        Assert.Equal(d.Events.Count(e => e == "quiesce"), d.Events.Count(e => e == "resume devices"));
        Assert.Equal(d.Events.Count(e => e == "log on"), d.Events.Count(e => e == "log off"));
    }

    [Fact]
    public void ALiveMigrationCarriesWhatTheGuestWritesDuringPrecopyAndStartsOnlyAfterTheGo()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        source.Guest = look =>
        {
            if (look == 0)
            {
                source.GuestWrite(3 * 4096, [0x33, 0x33]);        // data changed after the full pass
                source.GuestWrite(2 * 4096, []);                  // a page that had data is now zero
                source.GuestWrite(0x103000, [0x20]);              // a zero page gets data
            }
            else if (look == 1) source.GuestWrite(0x100000 + 5 * 4096, [0x55]);
        };
        using var target = new FakeDomain();
        // What the destination's build left in a page the source never touched (and so does not send) must go.
        target.Memory.GetSpan(0x10a000, 4096).Fill(0x5a);
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (result, error) = Send(source, link.Sender);
        Assert.Null(error);
        var received = receiving.Result;

        AssertSameMemory(source.Memory, target.Memory);
        Assert.True(target.Memory.GetSpan(0x10a000, 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(target.Memory.GetSpan(2 * 4096, 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(["log on", "pause", "quiesce", "capture", "log off"], source.Domain.Events);
        Assert.Equal(["threads parked", "start parked", "resume vcpus"], target.Events);
        Assert.Equal(0x1001UL, target.StartedWith!.Vcpus[1].Registers.Rip);
        Assert.Equal("extra-state"u8.ToArray(), target.Extra.Restored);
        Assert.True(target.Extra.Completed);
        Assert.False(received.Paused);
        // Full pass (the 17 pages the source ever wrote, not all 32), two rounds (3 pages, then 1), then the last
        // (paused) pass with nothing left.
        Assert.Equal([17UL, 3UL, 1UL, 0UL], result!.Rounds.Select(r => r.Pages));
        Assert.True(result.Rounds[^1].Paused);
        Assert.Equal(PrecopyStopReason.Converged, result.StopReason);
        Assert.Equal("running", result.DestinationReport);
        Assert.True(result.Downtime <= result.Total);
    }

    [Fact]
    public void PagesWrittenWhilePausingGoInTheLastPass()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        source.Guest = look => { if (look == 1) source.GuestWrite(7 * 4096, [0x77]); };
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (result, error) = Send(source, link.Sender);
        Assert.Null(error);
        receiving.Join();
        Assert.Equal([17UL, 1UL], result!.Rounds.Select(r => r.Pages));
        AssertSameMemory(source.Memory, target.Memory);
    }

    [Fact]
    public void TheDirtySetThatEndsPrecopyIsSentLiveAndWhatFollowsItWhilePaused()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        // Two pages written after the full pass: few enough to end pre-copy at once. They go in a last live round (the
        // log no longer holds them: the first nested run lost such a set), and the one written after it while paused.
        source.Guest = look =>
        {
            if (look == 0)
            {
                source.GuestWrite(4 * 4096, [0x44]);
                source.GuestWrite(0x100000 + 9 * 4096, [0x99]);
            }
            else if (look == 1) source.GuestWrite(6 * 4096, [0x66]);
        };
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (result, error) = Send(source, link.Sender, Eager with { SmallDirtyPages = 2 });
        Assert.Null(error);
        receiving.Join();
        Assert.Equal([17UL, 2UL, 1UL], result!.Rounds.Select(r => r.Pages));
        Assert.Equal([false, false, true], result.Rounds.Select(r => r.Paused));
        Assert.Equal(PrecopyStopReason.Converged, result.StopReason);
        AssertSameMemory(source.Memory, target.Memory);
    }

    [Fact]
    public void TheSenderLooksAtTheDirtyLogOnlyOnceTheReceiverHasAppliedEverythingSent()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        using var target = new FakeDomain();
        // A receiver that reads slowly: without waiting for its Progress the sender would be far ahead of it.
        var slow = new MigrationChannel(link.Receiver.Send, new SlowStream(link.Receiver.Receive));
        bool caughtUp = false;
        source.Guest = look =>
        {
            if (look != 0) return;
            // The first look follows the full pass: the receiver must hold all of it already.
            caughtUp = true;
            foreach (var region in source.Memory.Regions)
                for (ulong gpa = region.GuestAddress; gpa < region.End; gpa += 4096)
                    caughtUp &= source.Memory.GetSpan(gpa, 4096).SequenceEqual(target.Memory.GetSpan(gpa, 4096));
            source.GuestWrite(3 * 4096, [0x33]);
        };
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, slow));
        var (result, error) = Send(source, link.Sender);
        Assert.Null(error);
        receiving.Join();
        Assert.True(caughtUp, "the sender looked at the dirty log before the receiver had applied the full pass");
        AssertSameMemory(source.Memory, target.Memory);
    }

    [Fact]
    public void AReceiverThatNeverReportsProgressTimesOutAndTheSourceRunsOn()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        var receiving = new OnThread<bool>(() =>
        {
            MigrationFraming.WriteReady(link.Receiver.Send);
            using var reader = new SaveStreamReader(link.Receiver.Receive);
            try
            {
                // Answers for the configuration and the map (its domain is built), then reads and never answers again.
                while (reader.TryReadRecord(out var record) && record.Type != SaveRecordType.End)
                {
                    if (record.Type is SaveRecordType.DomainConfig or SaveRecordType.MemoryRegionMap)
                        MigrationFraming.WriteProgress(link.Receiver.Send, reader.Offset);
                }
            }
            catch (Exception e) when (e is IOException or SaveFormatException) { }
            return true;
        });
        var (_, error) = Send(source, link.Sender, Eager with { ReplyTimeout = TimeSpan.FromMilliseconds(500) });

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("waiting for the receiver to take the pages sent", error.Message);
        Assert.Contains("did not catch up", error.Message);
        Assert.DoesNotContain("pause", source.Domain.Events);
        Assert.Contains("log on", source.Domain.Events);
        AssertRunsAgain(source.Domain);
        link.Receiver.Dispose();
        receiving.Join();
    }

    [Fact]
    public void ADomainPausedBeforeTheMigrationStaysPausedOnTheReceiver()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        source.Domain.VcpusPaused = true;
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (result, error) = Send(source, link.Sender);
        Assert.Null(error);
        Assert.True(receiving.Result.Paused);
        Assert.Equal("paused", result!.DestinationReport);
        Assert.Equal(["threads parked", "start parked"], target.Events);
        Assert.DoesNotContain("pause", source.Domain.Events);
    }

    [Fact]
    public void AReceiverThatRefusesTheDomainLeavesTheSourceRunning()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        using var target = new FakeDomain(memory: GuestMemory.Create([(0, 0x20000)])); // another memory map
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (_, error) = Send(source, link.Sender);

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("cannot migrate to test-peer", error.Message);
        Assert.Contains("the receiver refused the domain", error.Message);
        Assert.Contains("memory map", error.Message);
        AssertRunsAgain(source.Domain);
        Assert.IsType<DomainRestoreException>(receiving.Error);
        Assert.Equal(["threads parked"], target.Events); // no state applied, nothing resumed
    }

    [Fact]
    public void AReceiverThatRefusesAtOnceGetsNothing()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        MigrationFraming.Write(link.Receiver.Send, MigrationFrameType.Error, "domain name 'guest-1' is already in use");
        var (_, error) = Send(source, link.Sender);
        Assert.NotNull(error);
        Assert.Contains("waiting for the receiver", error.Message);
        Assert.Contains("already in use", error.Message);
        Assert.Empty(source.Domain.Events);
    }

    [Fact]
    public void AConnectionThatDropsMidStreamLeavesTheSourceRunningAndTheReceiverUnstarted()
    {
        MigrationLink? link = null;
        link = new MigrationLink(s => new FaultyStream(s, after: 20_000, corrupt: false,
            () => link!.SenderSocket.Shutdown(System.Net.Sockets.SocketShutdown.Both)));
        using var relink = link;
        var source = Source(highPage: true);
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, relink.Receiver));
        var (_, error) = Send(source, relink.Sender);

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("sending guest memory", error.Message);
        AssertRunsAgain(source.Domain);
        Assert.DoesNotContain("pause", source.Domain.Events);
        relink.Sender.Dispose(); // the sender's process would exit or close: the receiver sees the stream end
        Assert.IsType<DomainRestoreException>(receiving.Error);
        Assert.Equal(["threads parked"], target.Events);
    }

    [Fact]
    public void ACorruptedStreamIsRefusedByTheReceiverAndNothingRuns()
    {
        using var link = new MigrationLink(s => new FaultyStream(s, after: 20_000, corrupt: true));
        var source = Source(highPage: true);
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (_, error) = Send(source, link.Sender);

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("the receiver refused the domain", error.Message);
        Assert.Contains("crc", error.Message);
        AssertRunsAgain(source.Domain);
        Assert.Contains("save stream at offset", receiving.Error.Message);
        Assert.Equal(["threads parked"], target.Events);
    }

    /// <summary>A receiver that reads the whole stream and takes the go that follows End, then does <paramref name="afterGo"/>.</summary>
    private static bool ScriptedReceiver(MigrationChannel channel, Action afterGo)
    {
        MigrationFraming.WriteReady(channel.Send);
        using var reader = new SaveStreamReader(channel.Receive);
        while (reader.TryReadRecord(out var record) && record.Type != SaveRecordType.End)
            MigrationFraming.WriteProgress(channel.Send, reader.Offset);
        MigrationFraming.Expect(channel.Receive, MigrationFrameType.Go);
        afterGo();
        return true;
    }

    [Fact]
    public void NoAnswerAfterTheGoLeavesTheSourcePausedSoTheDomainNeverRunsTwice()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        var receiving = new OnThread<bool>(() => ScriptedReceiver(link.Receiver, () => link.Receiver.Dispose()));
        var (_, error) = Send(source, link.Sender);

        Assert.NotNull(error);
        Assert.False(error.SourceRunning);
        Assert.Contains("may be running it", error.Message);
        Assert.Equal(["log on", "pause", "quiesce", "capture"], source.Domain.Events);
        receiving.Join();
    }

    [Fact]
    public void AReceiverThatReportsItCouldNotRunTheDomainAfterTheGoLeavesTheSourceRunning()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        var receiving = new OnThread<bool>(() => ScriptedReceiver(link.Receiver,
            () => MigrationFraming.Write(link.Receiver.Send, MigrationFrameType.Error, "unpausing failed")));
        var (_, error) = Send(source, link.Sender);

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("unpausing failed", error.Message);
        Assert.Equal(["log on", "pause", "quiesce", "capture", "resume devices", "resume vcpus", "log off"], source.Domain.Events);
        receiving.Join();
    }

    [Fact]
    public void AReceiverWhoseSenderGoesAwayBeforeTheGoNeverRunsTheDomain()
    {
        using var link = new MigrationLink();
        var source = Source(highPage: true);
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        // A sender that sends the whole stream and dies before its go.
        MigrationFraming.Expect(link.Sender.Receive, MigrationFrameType.Ready);
        using (var writer = new SaveStreamWriter(link.Sender.Send, source.Header with { Flags = SaveFlags.Live }))
        {
            writer.WriteDomainConfig(System.Text.Encoding.UTF8.GetBytes(source.ConfigJson));
            writer.WriteMemoryRegionMap(source.Memory);
            writer.WriteAllMemory(source.Memory);
            var state = source.CaptureMachineState();
            for (int i = 0; i < state.Vcpus.Count; i++) writer.WriteVcpuState(i, Xenon.Machine.State.VcpuStateCodec.Encode(state.Vcpus[i]));
            writer.WritePlatformState(Xenon.Machine.State.PlatformStateCodec.Encode(state.Platform));
            writer.WriteDeviceStates(source.DeviceStates);
            writer.WriteEnd();
        }
        link.SenderSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        Assert.Contains("waiting for the sender's go", receiving.Error.Message);
        Assert.Equal(["threads parked", "start parked"], target.Events); // applied and parked, never resumed: the caller discards it
    }
}
