using Xenon.Domain.Migration;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Domain.Tests.SaveRestore;

using static Xenon.Domain.Tests.Migration.MigrationRig;

namespace Xenon.Domain.Tests.Migration;

/// <summary>
/// What keeps work out of the downtime: the sender starts pre-copy only once the destination is built, both sides
/// warm the downtime's code before the pause without changing the domain, and the go follows End (protocol 3) —
/// with the source still resuming when the receiver fails after that go.
/// </summary>
public sealed class MigrationDowntimeTests
{
    [Fact]
    public void TheSenderWarmUpEncodesWithoutPausingCapturingOrTouchingDevices()
    {
        var source = Source();
        source.Domain.Extra.Fail = true; // a device save would throw: the warm-up must not call it
        MigrationWarmup.WarmSender(source);
        Assert.Empty(source.Domain.Events);
        Assert.False(source.Logging);
    }

    [Fact]
    public void TheReceiverWarmsUpOnItsOwnStateBeforeTheStreamAndTheSentStateWins()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain { CanCaptureParked = true };
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (result, error) = Send(source, link.Sender);
        Assert.Null(error);
        receiving.Join();

        // Warm-up: its own state through the whole path (vCPUs and devices), then the sent state, then the run.
        Assert.Equal(["threads parked", "capture parked", "start parked", "start parked", "resume vcpus"], target.Events);
        Assert.Equal(0x1001UL, target.StartedWith!.Vcpus[1].Registers.Rip);
        Assert.Equal(2, target.Extra.Restores);
        Assert.Equal("extra-state"u8.ToArray(), target.Extra.Restored);
        Assert.Equal("running", result!.DestinationReport);
    }

    [Fact]
    public void AFailedReceiverWarmUpIsLoggedAndTheMigrationGoesOn()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain(vcpus: 2) { CanCaptureParked = true };
        target.Extra.FailRestore = true;
        var log = new List<string>();
        // The extra device refuses every state: the warm-up fails (logged); the real restore then fails the migration.
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver, log));
        var (_, error) = Send(source, link.Sender);

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("extra device refuses", error.Message);
        Assert.Contains(log, l => l.Contains("warm-up failed", StringComparison.Ordinal));
        Assert.IsType<DomainRestoreException>(receiving.Error);
        Assert.DoesNotContain("resume vcpus", target.Events);
    }

    [Fact]
    public void AReceiverThatFailsAfterThePipelinedGoLeavesTheSourceRunningAndNeverRuns()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain();
        target.Extra.FailRestore = true; // applying the device state fails after End, with the go already on its way
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));
        var (_, error) = Send(source, link.Sender);

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("the receiver refused the domain", error.Message);
        Assert.Equal(["log on", "pause", "quiesce", "capture", "resume devices", "resume vcpus", "log off"], source.Domain.Events);
        Assert.IsType<DomainRestoreException>(receiving.Error);
        Assert.Equal(["threads parked", "start parked"], target.Events); // applied in part, never resumed
    }

    [Fact]
    public void TheGoFollowsEndWithoutWaitingForTheReceiver()
    {
        using var link = new MigrationLink();
        var source = Source();
        // A receiver that reads to End and then sees the go at once: it sends nothing after the stream before that.
        var receiving = new OnThread<string>(() =>
        {
            MigrationFraming.WriteReady(link.Receiver.Send);
            using var reader = new SaveStreamReader(link.Receiver.Receive);
            while (reader.TryReadRecord(out var record) && record.Type != SaveRecordType.End)
            {
                if (record.Type is SaveRecordType.DomainConfig or SaveRecordType.MemoryRegionMap or SaveRecordType.MemoryPages)
                    MigrationFraming.WriteProgress(link.Receiver.Send, reader.Offset);
            }
            var go = MigrationFraming.Expect(link.Receiver.Receive, MigrationFrameType.Go);
            MigrationFraming.Write(link.Receiver.Send, MigrationFrameType.Running, "running");
            return go.Text;
        });
        var (result, error) = Send(source, link.Sender);
        Assert.Null(error);
        Assert.Equal("running", receiving.Result);
        Assert.Equal("running", result!.DestinationReport);
    }

    [Fact]
    public void PrecopyWaitsForTheDestinationToBeBuiltAndGivesUpWithTheSourceUntouched()
    {
        using var link = new MigrationLink();
        var source = Source();
        // A destination that reads the configuration but never gets its domain built (no Progress).
        var receiving = new OnThread<bool>(() =>
        {
            MigrationFraming.WriteReady(link.Receiver.Send);
            using var reader = new SaveStreamReader(link.Receiver.Receive);
            try
            {
                while (reader.TryReadRecord(out _)) { }
            }
            catch (Exception e) when (e is IOException or SaveFormatException) { }
            return true;
        });
        var (_, error) = Send(source, link.Sender, Eager with { BuildTimeout = TimeSpan.FromMilliseconds(300) });

        Assert.NotNull(error);
        Assert.True(error.SourceRunning);
        Assert.Contains("waiting for the destination to build the domain", error.Message);
        Assert.Empty(source.Domain.Events); // no dirty log, no pause
        link.Receiver.Dispose();
        receiving.Join();
    }
}
