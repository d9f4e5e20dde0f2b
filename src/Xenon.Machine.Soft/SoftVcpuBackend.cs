using Xenon.Emulator.Execution;
using Xenon.Emulator.State;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft.Apic;
using Xenon.Machine.Soft.Clock;
using Xenon.Machine.Soft.Platform;
using Xenon.Machine.State;
using EmulatedCpu = Xenon.Emulator.Execution.Cpu;

namespace Xenon.Machine.Soft;

/// <summary>
/// A vCPU on the software CPU (<see cref="EmulatedCpu"/>). <see cref="Run"/> interprets guest code on the calling thread; port and
/// MMIO accesses go to the exit handler synchronously, from inside the instruction, so Run does not return for them.
/// It returns on <see cref="Kick"/> (Interrupted), a triple fault (Shutdown), or — only without interrupt controllers —
/// HLT (Halt). With them, the vCPU has a local APIC (its interrupt source, which the PIC reaches through LINT0), HLT
/// sleeps until that APIC has an interrupt for it, an NMI, INIT/SIPI or a kick (the KVM irqchip's behaviour), and an
/// application processor waits for INIT and a start-up IPI before it runs.
/// </summary>
public sealed partial class SoftVcpuBackend : IVcpuBackend, ILocalApicHost
{
    // Instructions per Cpu.Run slice. Kicks do not wait for it (they stop the CPU at the next block boundary).
    private const long SliceInstructions = 50_000_000;
    private const ulong ApicBaseEnabled = 1UL << 11, ApicBaseBsp = 1UL << 8;

    private readonly EmulatedCpu _cpu;
    private readonly SoftCpuBus _bus;
    private readonly SoftPlatform? _platform;
    private readonly LocalApic? _apic;
    private readonly KvmClock _clock;
    private readonly PvClockMsrs _pvclock;
    private readonly ManualResetEventSlim _wake = new(false);
    private int _kicked;
    private int _startupEvent; // an INIT or SIPI waits in the local APIC
    private CpuidEntry[] _cpuid = [];
    private VcpuRunState _runState;

    internal SoftVcpuBackend(int index, GuestMemory memory, CodePageTracker codePages, SoftPlatform? platform, int vcpuCount,
        KvmClock clock)
    {
        Index = index;
        _platform = platform;
        _bus = new SoftCpuBus(memory, platform, index);
        uint apicId = Xenon.Machine.Cpu.ApicIds.ForVcpu(index);
        _cpu = new EmulatedCpu(_bus, codePages, _bus, null,
            SoftCpuid.Model(apicId, vcpuCount));
        _clock = clock;
        _pvclock = new PvClockMsrs(clock, memory, codePages, _cpu);
        _cpu.ExtraMsrs = _pvclock;
        clock.Attach(_pvclock);
        _cpu.State.ApicBase = X86Layout.LocalApicBase | ApicBaseEnabled | (index == 0 ? ApicBaseBsp : 0);
        if (platform is not null)
        {
            _apic = new LocalApic(platform.Apics, this, platform.Pic, apicId, bootProcessor: index == 0);
            _bus.Apic = _apic;
            _cpu.Interrupts = _apic;
            platform.Attach(_apic);
        }
        // Application processors wait for INIT/SIPI like KVM's. Without interrupt controllers nothing can send them,
        // and only state restore or SetRegisters starts one.
        _runState = index == 0 ? VcpuRunState.Runnable : VcpuRunState.Uninitialized;
    }

    public int Index { get; }

    /// <summary>The emulated CPU (registers, instruction count, diagnostics such as <see cref="EmulatedCpu.LastUnimplemented"/>).</summary>
    public EmulatedCpu Cpu => _cpu;

    /// <summary>Instructions retired so far. Readable from any thread (a racy but untorn 64-bit read).</summary>
    public long InstructionsRetired => _cpu.InstructionsRetired;

    /// <summary>Where the vCPU is in the start-up protocol (diagnostics, tests; racy from another thread).</summary>
    public VcpuRunState RunState => _runState;

    internal LocalApic? Apic => _apic;

    public void BindToCurrentThread()
    {
        // Nothing to bind: a kick is a flag the interpreter polls between blocks, not a signal to a thread.
    }

    public VcpuExit Run(IVcpuExitHandler handler)
    {
        _bus.Handler = handler;
        try
        {
            while (true)
            {
                TakeStartupEvents();
                if (_runState is VcpuRunState.Uninitialized or VcpuRunState.InitReceived)
                {
                    if (WaitForStartup()) return VcpuExit.Interrupted;
                    continue;
                }
                switch (_cpu.Run(SliceInstructions))
                {
                    case RunExit.BudgetExhausted:
                        continue;
                    case RunExit.Stopped:
                        // a kick ends Run; a stop for an INIT or SIPI is handled here, at the top of the loop
                        if (Interlocked.Exchange(ref _kicked, 0) != 0) return VcpuExit.Interrupted;
                        continue;
                    case RunExit.Shutdown:
                        return new VcpuExit(VcpuExitKind.Shutdown, "triple fault (soft CPU shutdown)");
                    case RunExit.Halted:
                        if (_platform is null) return new VcpuExit(VcpuExitKind.Halt);
                        if (WaitWhileHalted()) return VcpuExit.Interrupted;
                        continue;
                }
            }
        }
        finally
        {
            _bus.Handler = null;
        }
    }

    // Sleeps until something can end the halt: an interrupt the CPU will take, an NMI, INIT/SIPI, or a kick (true:
    // Run returns). The event is reset before the conditions are checked, so a wake-up between the check and the wait
    // is not lost.
    private bool WaitWhileHalted()
    {
        while (true)
        {
            _wake.Reset();
            if (Interlocked.Exchange(ref _kicked, 0) != 0) return true;
            if (_cpu.NmiPending || Volatile.Read(ref _startupEvent) != 0) return false;
            bool interruptsOn = (_cpu.State.FlagsControl & RFlags.IF) != 0;
            if (interruptsOn && _cpu.Interrupts is { HasPendingInterrupt: true }) return false;
            _wake.Wait();
        }
    }

    // An AP before its start-up IPI: waits for INIT/SIPI (false) or a kick (true: Run returns).
    private bool WaitForStartup()
    {
        while (true)
        {
            _wake.Reset();
            if (Interlocked.Exchange(ref _kicked, 0) != 0) return true;
            if (Volatile.Read(ref _startupEvent) != 0) return false;
            _wake.Wait();
        }
    }

    // INIT resets the CPU and its APIC (keeping the APIC ID and base, the TSC and the CPUID table): the boot processor
    // restarts at the reset vector, an AP waits for a start-up IPI. A SIPI starts a waiting AP in real mode at
    // vector << 12 (CS = vector << 8, IP = 0); any other SIPI is ignored, as on hardware.
    private void TakeStartupEvents()
    {
        if (_apic is null || Interlocked.Exchange(ref _startupEvent, 0) == 0) return;
        _apic.TakeStartupEvents(out bool init, out int sipiVector);
        if (init)
        {
            ulong apicBase = _cpu.State.ApicBase;
            _cpu.Reset();
            _cpu.State.ApicBase = apicBase;
            _apic.Reset(_apic.ApicId, bootProcessor: Index == 0);
            _runState = Index == 0 ? VcpuRunState.Runnable : VcpuRunState.InitReceived;
        }
        if (sipiVector >= 0 && _runState == VcpuRunState.InitReceived) StartAt(sipiVector);
    }

    private void StartAt(int sipiVector)
    {
        var s = _cpu.State;
        s.Segments[Seg.Cs] = SegmentRegister.RealMode((ushort)(sipiVector << 8), code: true);
        s.Rip = 0;
        s.Halted = false;
        _cpu.StateChanged();
        _runState = VcpuRunState.Runnable;
    }

    public void Kick()
    {
        Volatile.Write(ref _kicked, 1);
        _cpu.RequestStop();
        _wake.Set();
    }

    /// <summary>Raises an NMI on this vCPU (any thread); wakes it from HLT.</summary>
    public void InjectNmi()
    {
        _cpu.InjectNmi();
        _wake.Set();
    }

    ulong ILocalApicHost.ApicBase => _cpu.State.ApicBase;

    void ILocalApicHost.InterruptPending() => _wake.Set();

    void ILocalApicHost.Nmi() => InjectNmi();

    void ILocalApicHost.StartupEvent()
    {
        Volatile.Write(ref _startupEvent, 1);
        _cpu.RequestStop();
        _wake.Set();
    }

    public void Dispose()
    {
        _clock.Detach(_pvclock);
        if (_apic is not null) _platform?.Detach(_apic);
        // _wake is deliberately not disposed: a timer or device thread may have fetched this vCPU just before it was
        // detached, and a Set on a disposed event would throw on that thread. Without a WaitHandle it holds no kernel object.
    }
}
