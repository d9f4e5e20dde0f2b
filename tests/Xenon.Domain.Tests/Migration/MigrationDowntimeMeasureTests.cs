using System.Collections.Concurrent;
using System.Net.Sockets;
using Xenon.Domain.Migration;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Domain.Tests.SaveRestore;
using Xenon.Machine.Memory;

using static Xenon.Domain.Tests.Migration.MigrationRig;

namespace Xenon.Domain.Tests.Migration;

/// <summary>
/// What the downtime is made of and how it is measured: the destination's resume time reaches a sender on the same
/// clock, the go is read by the thread that applies the state (no pool hand-over inside the downtime) and is still cut
/// off when it never comes, and the receiver has its parked vCPUs spin after a pass, not inside one.
/// </summary>
public sealed class MigrationDowntimeMeasureTests
{
    [Fact]
    public void TheSenderLearnsWhenTheDestinationLetItsVcpusGoWithinTheDowntimeItSaw()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));

        var (result, error) = Send(source, link.Sender);

        Assert.Null(error);
        Assert.False(receiving.Result.Paused);
        Assert.Equal("running", result!.DestinationReport); // the state alone: the stamp is taken apart
        var resumed = Assert.NotNull(result.ResumedAfterPause);
        Assert.InRange(resumed, TimeSpan.Zero, result.Downtime);
        Assert.NotEqual(0, target.ResumedAt);
        Assert.Contains("after the pause", result.ToString());
    }

    [Fact]
    public void ADestinationLeftPausedSendsNoResumeTime()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));

        var result = MigrationSender.Migrate(source, link.Sender, Eager, "test-peer", leavePaused: true);

        Assert.True(receiving.Result.Paused);
        Assert.Equal("paused", result.DestinationReport);
        Assert.Null(result.ResumedAfterPause);
        Assert.Equal(0, target.ResumedAt);
    }

    [Fact]
    public void TheGoIsReadOnTheThreadThatAppliesTheState()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain();
        using var socketStream = new NetworkStream(link.ReceiverSocket, ownsSocket: false);
        var recording = new ReaderThreads(socketStream);
        var channel = new MigrationChannel(socketStream, recording, () => link.ReceiverSocket.Shutdown(SocketShutdown.Both));
        int receiverThread = 0;
        var receiving = new OnThread<MigrationReceiveResult>(() =>
        {
            receiverThread = Environment.CurrentManagedThreadId;
            return Receive(target, channel);
        });

        var (_, error) = Send(source, link.Sender);

        Assert.Null(error);
        Assert.False(receiving.Result.Paused);
        Assert.NotEmpty(recording.Threads);
        Assert.All(recording.Threads, id => Assert.Equal(receiverThread, id));
    }

    [Fact]
    public void AGoThatNeverComesIsCutOffAfterTheGoTimeoutAndNothingRuns()
    {
        using var link = new MigrationLink();
        var source = Source();
        using var target = new FakeDomain();
        var receiving = new OnThread<MigrationReceiveResult>(() =>
        {
            MigrationFraming.WriteReady(link.Receiver.Send);
            return MigrationReceiver.Receive(target, link.Receiver, TimeSpan.FromSeconds(1));
        });
        // A sender that sends the whole stream, End included, and then neither its go nor a close.
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

        var failure = Assert.IsType<DomainRestoreException>(receiving.Error);
        Assert.Contains("waiting for the sender's go", failure.Message);
        Assert.Contains("no go from the sender within 1 s", failure.Message);
        Assert.Equal(0, target.ResumedAt);
        Assert.DoesNotContain("resume vcpus", target.Events);
    }

    [Fact]
    public void TheReceiverSpinsItsParkedVcpusOnceAPassIsAppliedNotInsideIt()
    {
        // 1100 pages with data: the full pass is one full record (1024 pages) and a short one that ends it.
        using var link = new MigrationLink();
        var source = new FakeMigrationSource(new FakeDomain(memory: GuestMemory.Create([(0, 0x500000)])));
        for (ulong page = 0; page < 1100; page++) source.Memory.GetSpan(page * 4096, 4096).Fill((byte)(page % 250 + 1));
        using var target = new FakeDomain(memory: GuestMemory.Create([(0, 0x500000)]));
        var receiving = new OnThread<MigrationReceiveResult>(() => Receive(target, link.Receiver));

        var (_, error) = Send(source, link.Sender);

        Assert.Null(error);
        Assert.False(receiving.Result.Paused);
        var spin = Assert.Single(target.SpinRequests); // no dirty pages after the full pass: no other pass
        Assert.Equal(1100, spin.PagesWithData);
        Assert.True(spin.Time > TimeSpan.Zero);
        source.Domain.Dispose();
    }

    /// <summary>A read pass-through that notes which threads read.</summary>
    private sealed class ReaderThreads(Stream inner) : ReadPassThrough(inner)
    {
        public ConcurrentBag<int> Threads { get; } = [];

        public override int Read(Span<byte> buffer)
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            return Inner.Read(buffer);
        }
    }
}
