using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.State;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>A vCPU on KVM: KVM_RUN and the translation of kvm_run exits into <see cref="VcpuExit"/>s.
/// Port and MMIO data are handed to the handler as spans into the shared run page, so the I/O path allocates nothing.</summary>
public sealed class KvmVcpuBackend : IVcpuBackend
{
    // Local APIC LVT delivery-mode field (bits 8–10): ExtINT lets the legacy PIC reach the BSP through LINT0,
    // NMI on LINT1 is the PC's wiring; KVM's reset state leaves both at Fixed.
    private const uint LvtDeliveryModeMask = 0x700;
    private const uint DeliveryModeNmi = 0x4, DeliveryModeExtInt = 0x7;

    private readonly Func<KvmStateSupport> _stateSupport;
    private readonly KvmExitCounter? _exits = KvmExitCounter.FromEnvironment();
    private readonly CoalescedWriteDrain? _coalesced;
    private KvmCoalescedRing? _coalescedRing;

    internal KvmVcpuBackend(KvmVcpu vcpu, int index, Func<KvmStateSupport> stateSupport, CoalescedWriteDrain? coalesced = null)
    {
        Vcpu = vcpu;
        Index = index;
        _stateSupport = stateSupport;
        _coalesced = coalesced;
    }

    public int Index { get; }

    /// <summary>The underlying KVM vCPU (for state that the backend interface does not cover).</summary>
    public KvmVcpu Vcpu { get; }

    public void BindToCurrentThread() => Vcpu.BindToCurrentThread();

    public void SetCpuid(ReadOnlySpan<CpuidEntry> entries)
    {
        var kvm = new KvmCpuidEntry2[entries.Length];
        for (int i = 0; i < entries.Length; i++) kvm[i] = KvmStateConversion.ToKvm(entries[i]);
        Vcpu.SetCpuid(kvm);
    }

    public X86Registers GetRegisters() => KvmStateConversion.FromKvm(Vcpu.GetRegs());

    public void SetRegisters(in X86Registers regs) => Vcpu.SetRegs(KvmStateConversion.ToKvm(regs));

    public X86SpecialRegisters GetSpecialRegisters() => KvmStateConversion.FromKvm(Vcpu.GetSregs());

    public void SetSpecialRegisters(in X86SpecialRegisters sregs)
    {
        // keep KVM's pending-interrupt bitmap: writing zeros there would drop an interrupt already accepted
        var current = Vcpu.GetSregs();
        Vcpu.SetSregs(KvmStateConversion.ToKvm(sregs, current));
    }

    public void SetMsrs(ReadOnlySpan<MsrEntry> msrs)
    {
        var kvm = new KvmMsrEntry[msrs.Length];
        for (int i = 0; i < msrs.Length; i++) kvm[i] = new KvmMsrEntry { Index = msrs[i].Index, Data = msrs[i].Value };
        int set = Vcpu.SetMsrs(kvm);
        if (set < msrs.Length)
            throw new InvalidOperationException($"KVM_SET_MSRS on vcpu{Index} refused MSR 0x{msrs[set].Index:x} (value 0x{msrs[set].Value:x}); {set} of {msrs.Length} were set");
    }

    public VcpuState GetState() => KvmVcpuStateTransfer.Capture(Vcpu, _stateSupport());

    public void SetState(VcpuState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        KvmVcpuStateTransfer.Restore(Vcpu, _stateSupport(), state, Index);
    }

    public void ResetFpu() => Vcpu.SetFpu(new KvmFpu { Fcw = 0x37f, Mxcsr = 0x1f80 });

    /// <summary>Wires LINT0 as ExtINT and LINT1 as NMI so the in-kernel PIC's interrupts reach the vCPU.</summary>
    internal void ConfigureLapicLints()
    {
        Vcpu.GetLapic(out var lapic);
        lapic.SetRegister(KvmLapicState.LvtLint0, WithDeliveryMode(lapic.GetRegister(KvmLapicState.LvtLint0), DeliveryModeExtInt));
        lapic.SetRegister(KvmLapicState.LvtLint1, WithDeliveryMode(lapic.GetRegister(KvmLapicState.LvtLint1), DeliveryModeNmi));
        Vcpu.SetLapic(lapic);
    }

    internal static uint WithDeliveryMode(uint lvt, uint mode) => (lvt & ~LvtDeliveryModeMask) | (mode << 8);

    public VcpuExit Run(IVcpuExitHandler handler)
    {
        // Known to the drain's timer before the guest first runs: its first act may be a queued write and HLT.
        if (_coalescedRing is null && _coalesced is { Enabled: true })
            _coalesced.Remember(_coalescedRing = CoalescedRing(_coalesced.PageOffset), Index, handler);
        bool exited = Vcpu.Run();
        // Queued writes first, whatever the exit: the access that made it may depend on them (CONFIG_ADDRESS before
        // CONFIG_DATA), and a vCPU parks for a state capture only after a return from here.
        if (_coalescedRing is not null) _coalesced!.Deliver(_coalescedRing, Index, handler);
        if (!exited)
        {
            Vcpu.ClearImmediateExit();
            return VcpuExit.Interrupted;
        }

        ref readonly var run = ref Vcpu.RunState;
        if (_exits is not null) CountExit(_exits, in run);
        switch ((KvmExitReason)run.ExitReason)
        {
            case KvmExitReason.Io:
                {
                    var data = Vcpu.IoData;
                    int size = run.Io.Size;
                    ushort port = run.Io.Port;
                    bool isWrite = run.Io.Direction == KvmRunIo.DirectionOut;
                    // string I/O (rep ins/outs) arrives as count items, one device access each
                    for (int offset = 0; offset < data.Length; offset += size)
                        handler.PortIo(Index, port, data.Slice(offset, size), isWrite);
                    return VcpuExit.IoDone;
                }
            case KvmExitReason.Mmio:
                handler.Mmio(Index, run.Mmio.PhysAddr, Vcpu.MmioData, run.Mmio.IsWrite != 0);
                return VcpuExit.IoDone;
            case KvmExitReason.Hlt:
                return new VcpuExit(VcpuExitKind.Halt);
            case KvmExitReason.Shutdown:
                return new VcpuExit(VcpuExitKind.Shutdown, "triple fault (KVM_EXIT_SHUTDOWN)");
            case KvmExitReason.Intr:
                Vcpu.ClearImmediateExit();
                return VcpuExit.Interrupted;
            case KvmExitReason.SystemEvent:
                return SystemEvent(run.SystemEvent.Type);
            case KvmExitReason.InternalError:
                return new VcpuExit(VcpuExitKind.Error, KvmExitDescription.InternalError(run.Internal, RipOrNull()));
            case KvmExitReason.FailEntry:
                return new VcpuExit(VcpuExitKind.Error,
                    $"KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x{run.FailEntry.HardwareEntryFailureReason:x} on host cpu {run.FailEntry.Cpu}");
            default:
                return new VcpuExit(VcpuExitKind.Error, KvmExitDescription.Unexpected(run.ExitReason, run.Hw.HardwareExitReason, RipOrNull()));
        }
    }

    private KvmCoalescedRing CoalescedRing(int pageOffset) => Vcpu.CoalescedRing(pageOffset)
        ?? throw new InvalidOperationException($"vCPU {Index}: its mapping does not reach the coalesced ring at page {pageOffset}");

    private static void CountExit(KvmExitCounter exits, in KvmRun run)
    {
        exits.Count(run.ExitReason);
        if ((KvmExitReason)run.ExitReason == KvmExitReason.Io) exits.CountIo(run.Io.Port, (int)run.Io.Count);
        else if ((KvmExitReason)run.ExitReason == KvmExitReason.Mmio) exits.CountMmio(run.Mmio.PhysAddr);
    }

    /// <summary>This vCPU's exit counts (XENON_TRACE=1 only; else null).</summary>
    public string? DescribeExits() => _exits?.Describe(Index);

    private static VcpuExit SystemEvent(uint type) => (KvmSystemEventType)type switch
    {
        KvmSystemEventType.Shutdown => new VcpuExit(VcpuExitKind.SystemPowerOff),
        KvmSystemEventType.Reset => new VcpuExit(VcpuExitKind.SystemReset),
        KvmSystemEventType.Crash => new VcpuExit(VcpuExitKind.Shutdown, "guest crash (KVM_SYSTEM_EVENT_CRASH)"),
        _ => new VcpuExit(VcpuExitKind.Error, $"KVM_EXIT_SYSTEM_EVENT of unhandled type {type}"),
    };

    private ulong? RipOrNull()
    {
        try
        {
            return Vcpu.GetRegs().Rip;
        }
        catch (KvmException)
        {
            return null; // the error report must not fail because the state is unreadable
        }
    }

    public void Kick() => Vcpu.Kick();

    public void Dispose()
    {
        // the trace's last word on this vCPU: written here because the backend has no log of its own
        if (_exits is not null) Console.Error.WriteLine($"xenon: trace: {_exits.Describe(Index)}");
        // The ring view points into this vCPU's mapping: the VM's drain timer must not read it once unmapped.
        if (_coalescedRing is { } ring) _coalesced?.Forget(ring);
        Vcpu.Dispose();
    }
}
