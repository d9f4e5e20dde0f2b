using Xenon.Devices.Pci.Msi;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Pci;
using Xenon.Devices.Virtio.Rng;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>The devices' completion around the guest's run: a virtio function's (its queues' kick) waits for the run,
/// every other device's happens at once, in order.</summary>
public sealed class QueueKicksAfterRunTests
{
    private sealed class NoMsi : IMsiSink
    {
        public void SignalMsi(ulong address, uint data)
        {
        }
    }

    private sealed class Recorded(string id, List<string> log) : IStatefulDevice
    {
        public string StateId => id;
        public int SaveState(System.Buffers.IBufferWriter<byte> output) => 0;
        public void RestoreState(ReadOnlySpan<byte> state) { }
        public void RestoreCompleted() => log.Add(id);
    }

    [Fact]
    public void AVirtioFunctionWaitsForTheKickOtherDevicesCompleteAtOnce()
    {
        using var memory = GuestMemory.Create([(0, 1 << 20)]);
        var rng = new VirtioPciDevice("virtio-rng", new VirtioRng(memory), memory, new NoMsi());
        var log = new List<string>();
        var kicks = new QueueKicksAfterRun(defer: true);

        Assert.False(kicks.CompleteOrKeep(new Recorded("uart", log)));
        Assert.True(kicks.CompleteOrKeep(rng));
        Assert.False(kicks.CompleteOrKeep(new Recorded("pci-root", log)));

        Assert.Equal(["uart", "pci-root"], log);
        Assert.Equal(1, kicks.Count);
        kicks.Kick();
        Assert.Equal(0, kicks.Count);
        kicks.Kick(); // once only: nothing left
        Assert.Equal(0, kicks.Count);
    }

    [Fact]
    public void NotDeferredEveryDeviceCompletesAtOnce()
    {
        using var memory = GuestMemory.Create([(0, 1 << 20)]);
        var rng = new VirtioPciDevice("virtio-rng", new VirtioRng(memory), memory, new NoMsi());
        var kicks = new QueueKicksAfterRun(defer: false);

        Assert.False(kicks.CompleteOrKeep(rng));
        Assert.Equal(0, kicks.Count);
    }
}
