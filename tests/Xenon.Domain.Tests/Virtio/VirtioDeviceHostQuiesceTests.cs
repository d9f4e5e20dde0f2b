using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;
using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Queue;
using Xenon.Domain.Virtio;
using Xenon.Kvm;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;
using Xenon.Machine.Interrupts;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.Virtio;

/// <summary>A device host's I/O thread parks on a quiesce, in one step or in two (begin all, then complete each, as a
/// domain's devices do), and an abandoned quiesce lets it run on without touching the model.</summary>
public sealed class VirtioDeviceHostQuiesceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly GuestMemory _memory = GuestMemory.CreateX86(16 << 20);
    private readonly PciRoot _pci = new(new MmioBus());
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--) _disposables[i].Dispose();
        _memory.Dispose();
    }

    private (VirtioDeviceHost Host, QuiescableDevice Model) NewHost(string name)
    {
        var model = new QuiescableDevice();
        var host = new VirtioDeviceHost(name, model, _memory, new NoBackend(), _pci, new NoMsi(), _ => { });
        _disposables.Add(host);
        return (host, model);
    }

    /// <summary>Signals an eventfd served by the host's loop; the returned event is set when the loop served it.</summary>
    private ManualResetEventSlim Probe(VirtioDeviceHost host)
    {
        var fd = EventFd.Create(nonBlocking: true);
        var served = new ManualResetEventSlim(false);
        _disposables.Add(served);
        _disposables.Add(fd);
        host.Loop.Register(fd, _ => served.Set());
        fd.Signal();
        return served;
    }

    [Fact]
    public void AQuiescedHostServesNothingUntilResumed()
    {
        var (host, model) = NewHost("q1");
        host.QuiesceIo(Timeout);
        var served = Probe(host);
        Assert.False(served.Wait(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken), "the loop served a callback while quiesced");
        host.ResumeIo();
        Assert.True(served.Wait(Timeout, TestContext.Current.CancellationToken), "the loop did not serve the callback after ResumeIo");
        Assert.Equal(["quiesce", "resume"], model.Calls);
    }

    [Fact]
    public void BeginningEveryHostThenCompletingEachParksThemAll()
    {
        var (a, ma) = NewHost("qa");
        var (b, mb) = NewHost("qb");
        a.BeginQuiesce();
        b.BeginQuiesce();
        a.CompleteQuiesce(Timeout);
        b.CompleteQuiesce(Timeout);
        var servedA = Probe(a);
        var servedB = Probe(b);
        Assert.False(servedA.Wait(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken), "host a served a callback while quiesced");
        Assert.False(servedB.IsSet, "host b served a callback while quiesced");
        Assert.Equal(["quiesce"], ma.Calls);
        Assert.Equal(["quiesce"], mb.Calls);
        a.ResumeIo();
        b.ResumeIo();
        Assert.True(servedA.Wait(Timeout, TestContext.Current.CancellationToken) && servedB.Wait(Timeout, TestContext.Current.CancellationToken), "a resumed host did not serve its callback");
    }

    [Fact]
    public void AnAbandonedQuiesceLetsTheThreadRunWithoutTouchingTheModel()
    {
        var (host, model) = NewHost("qx");
        host.BeginQuiesce();
        host.AbandonQuiesce();
        var served = Probe(host);
        Assert.True(served.Wait(Timeout, TestContext.Current.CancellationToken), "the loop stayed parked after the quiesce was abandoned");
        Assert.Empty(model.Calls);
        // And the host can be quiesced again afterwards.
        host.QuiesceIo(Timeout);
        host.ResumeIo();
        Assert.Equal(["quiesce", "resume"], model.Calls);
    }

    private sealed class QuiescableDevice : IVirtioDevice, IQuiescable
    {
        public List<string> Calls { get; } = [];
        public ushort DeviceType => 4;
        public ulong DeviceFeatures => 0;
        public IReadOnlyList<ushort> QueueMaxSizes { get; } = [8];
        public void ReadConfig(int offset, Span<byte> data) => data.Clear();
        public void WriteConfig(int offset, ReadOnlySpan<byte> data) { }
        public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt) { }
        public void QueueNotify(int queueIndex) { }
        public void Reset() { }
        public void Quiesce() { lock (Calls) Calls.Add("quiesce"); }
        public void Resume() { lock (Calls) Calls.Add("resume"); }
    }

    private sealed class NoMsi : IMsiSink
    {
        public void SignalMsi(ulong address, uint data) { }
    }

    /// <summary>The host only asks the backend whether it offers ioeventfds; this one does not.</summary>
    private sealed class NoBackend : IVmBackend
    {
        public string Name => "none";
        public IMsiController Msi => throw new NotSupportedException();
        public void MapMemory(GuestMemoryRegion region, bool logDirty) => throw new NotSupportedException();
        public void CreateInterruptControllers() => throw new NotSupportedException();
        public IIrqLine GetIrqLine(int gsi) => throw new NotSupportedException();
        public IReadOnlyList<CpuidEntry> GetSupportedCpuid() => throw new NotSupportedException();
        public IVcpuBackend CreateVcpu(int index) => throw new NotSupportedException();
        public void GetAndClearDirtyLog(GuestMemoryRegion region, Span<ulong> bitmap) => throw new NotSupportedException();
        public PlatformState GetPlatformState() => throw new NotSupportedException();
        public void SetPlatformState(PlatformState state) => throw new NotSupportedException();
        public void Dispose() { }
    }
}
