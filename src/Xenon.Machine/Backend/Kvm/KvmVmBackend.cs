using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.Cpu;
using Xenon.Machine.Interrupts;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>The KVM implementation of <see cref="IVmBackend"/>: one KVM VM with the in-kernel irqchip and PIT.</summary>
public sealed class KvmVmBackend : IVmBackend, IIoEventFdSupport, IPortWriteCoalescing
{
    /// <summary>Where KVM gets its three TSS pages and its identity-map page: just below the BIOS at 4 GiB,
    /// inside the 32-bit MMIO hole where no RAM or device lives (the addresses QEMU and Firecracker use).</summary>
    public const ulong TssAddress = 0xfffbd000, IdentityMapAddress = 0xfffbc000;

    /// <summary>GSIs of the in-kernel IOAPIC (0–15 also reach the PIC pair).</summary>
    public const int GsiCount = 24;

    private readonly bool _ownsSystem;
    private readonly KvmIrqLine?[] _irqLines = new KvmIrqLine?[GsiCount];
    private readonly Lock _gate = new();
    private IReadOnlyList<CpuidEntry>? _supportedCpuid;
    private bool _supportedCpuidIrqchip;
    private KvmStateSupport? _stateSupport;
    private bool _irqchip;
    private KvmMsiController? _msi;
    private readonly CoalescedWriteDrain _coalesced = new();
    private Timer? _coalescedPoll;

    /// <summary>How often queued writes are applied when no vCPU exits (a reset written to 0xcf9, then HLT; Linux's
    /// reboot makes an exit of its own within ~15 ms). Rare on purpose: on the nested host each wake-up of this
    /// process pulls the vCPU out of the guest, and at 20 ms the boot to the marker was ~0.26 s slower.</summary>
    internal static readonly TimeSpan CoalescedPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Opens /dev/kvm and creates a VM.</summary>
    public KvmVmBackend() : this(KvmSystem.Open(), ownsSystem: true)
    {
    }

    public KvmVmBackend(KvmSystem system, bool ownsSystem)
    {
        System = system;
        _ownsSystem = ownsSystem;
        Vm = system.CreateVm();
    }

    public string Name => "kvm";

    public KvmSystem System { get; }

    /// <summary>The KVM VM, for what the backend interface does not cover (ioeventfd, irqfd, GSI routing, clock).</summary>
    public KvmVm Vm { get; }

    public void MapMemory(GuestMemoryRegion region, bool logDirty)
        => Vm.SetUserMemoryRegion((uint)region.Slot, region.GuestAddress, region.Size, region.HostAddress,
            logDirty ? KvmMemoryFlags.LogDirtyPages : KvmMemoryFlags.None);

    public void RegisterIoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch = null)
        => Vm.RegisterIoEventFd(eventFd, address, length, pio, datamatch);

    public void UnregisterIoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch = null)
        => Vm.UnregisterIoEventFd(eventFd, address, length, pio, datamatch);

    public void CreateInterruptControllers()
    {
        lock (_gate)
        {
            if (_irqchip) throw new InvalidOperationException("interrupt controllers already created");
            Vm.SetTssAddr(TssAddress);
            Vm.SetIdentityMapAddr(IdentityMapAddress);
            Vm.CreateIrqchip();
            // KVM then also emulates port 0x61 (speaker gate, PIT channel 2 output), which TSC calibration polls
            Vm.CreatePit2(KvmPitConfig.SpeakerDummy);
            _irqchip = true;
        }
    }

    public IMsiController Msi
    {
        get
        {
            lock (_gate)
            {
                if (!_irqchip) throw new InvalidOperationException("CreateInterruptControllers must be called before Msi");
                return _msi ??= new KvmMsiController(Vm);
            }
        }
    }

    public IIrqLine GetIrqLine(int gsi)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gsi);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(gsi, GsiCount);
        lock (_gate)
        {
            if (!_irqchip) throw new InvalidOperationException("CreateInterruptControllers must be called before GetIrqLine");
            return _irqLines[gsi] ??= new KvmIrqLine(Vm, gsi);
        }
    }

    public IReadOnlyList<CpuidEntry> GetSupportedCpuid()
    {
        lock (_gate)
        {
            if (_supportedCpuid is null || _supportedCpuidIrqchip != _irqchip)
            {
                var kvm = System.GetSupportedCpuid();
                var entries = new CpuidEntry[kvm.Length];
                for (int i = 0; i < kvm.Length; i++) entries[i] = KvmStateConversion.FromKvm(kvm[i]);
                // the TSC-deadline timer lives in the in-kernel local APIC: offered only once that exists
                _supportedCpuid = KvmSupportedCpuid.WithInKernelFeatures(entries, _irqchip && System.HasExtension(KvmCapability.TscDeadlineTimer));
                _supportedCpuidIrqchip = _irqchip;
            }
            return _supportedCpuid;
        }
    }

    public IVcpuBackend CreateVcpu(int index)
    {
        bool irqchip;
        lock (_gate) irqchip = _irqchip;
        var vcpu = Vm.CreateVcpu((int)ApicIds.ForVcpu(index));
        var backend = new KvmVcpuBackend(vcpu, index, StateSupport, _coalesced);
        try
        {
            if (irqchip) backend.ConfigureLapicLints();
        }
        catch
        {
            backend.Dispose();
            throw;
        }
        return backend;
    }

    public bool CoalescePortWrites(ushort port, ushort count)
    {
        lock (_gate)
        {
            // The ring's page offset in a vCPU mapping; 0 = no coalescing. Port zones need KVM_CAP_COALESCED_PIO too.
            int pageOffset = System.CheckExtension(KvmCapability.CoalescedMmio);
            if (pageOffset <= 0 || (long)(pageOffset + 1) * KvmCoalescedRing.PageSize > System.VcpuMmapSize
                || !System.HasExtension(KvmCapability.CoalescedPio))
                return false;
            Vm.RegisterCoalescedPio(port, count);
            _coalesced.Enable(pageOffset);
            _coalescedPoll ??= new Timer(static s => PollCoalesced((CoalescedWriteDrain)s!), _coalesced, CoalescedPollInterval, CoalescedPollInterval);
            return true;
        }
    }

    public void GetAndClearDirtyLog(GuestMemoryRegion region, Span<ulong> bitmap)
        => Vm.GetDirtyLog((uint)region.Slot, region.Size / 4096, bitmap);

    public PlatformState GetPlatformState()
    {
        RequireIrqchip("GetPlatformState");
        return KvmPlatformStateTransfer.Capture(Vm);
    }

    public void SetPlatformState(PlatformState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        RequireIrqchip("SetPlatformState");
        KvmPlatformStateTransfer.Restore(Vm, state);
    }

    private void RequireIrqchip(string what)
    {
        lock (_gate)
            if (!_irqchip) throw new InvalidOperationException($"{what} needs the in-kernel interrupt controllers (CreateInterruptControllers)");
    }

    /// <summary>Asked of KVM on first use (a save or restore), then kept: the answers do not change for a VM.</summary>
    private KvmStateSupport StateSupport()
    {
        lock (_gate) return _stateSupport ??= KvmStateSupport.Probe(System, Vm);
    }

    private static void PollCoalesced(CoalescedWriteDrain drain)
    {
        try
        {
            drain.DeliverPending();
        }
        catch (Exception e)
        {
            // On a timer thread an exception would end the process; the vCPUs' own drains report the same fault.
            Console.Error.WriteLine($"xenon: coalesced writes: {e.Message}");
        }
    }

    public void Dispose()
    {
        Timer? poll;
        lock (_gate) (poll, _coalescedPoll) = (_coalescedPoll, null);
        // Waits for a running callback, so no drain follows the VM's teardown.
        if (poll is not null)
        {
            using var done = new ManualResetEvent(false);
            if (poll.Dispose(done)) done.WaitOne();
        }
        Vm.Dispose();
        if (_ownsSystem) System.Dispose();
    }
}
