using Xenon.Emulator.Execution;
using Xenon.Emulator.State;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft.Platform;
using Xenon.Machine.State;
using EmulatedCpu = Xenon.Emulator.Execution.Cpu;

namespace Xenon.Machine.Soft;

/// <summary>
/// A vCPU on the software CPU (<see cref="EmulatedCpu"/>). <see cref="Run"/> interprets guest code on the calling thread; port and
/// MMIO accesses go to the exit handler synchronously, from inside the instruction, so Run does not return for them.
/// It returns on <see cref="Kick"/> (Interrupted), a triple fault (Shutdown), or — only without interrupt controllers —
/// HLT (Halt). With them, HLT sleeps until the PIC asserts (boot vCPU), an NMI, or a kick: the KVM irqchip's behaviour.
/// </summary>
public sealed partial class SoftVcpuBackend : IVcpuBackend
{
    // Instructions per Cpu.Run slice. Kicks do not wait for it (they stop the CPU at the next block boundary).
    private const long SliceInstructions = 50_000_000;

    private readonly EmulatedCpu _cpu;
    private readonly SoftCpuBus _bus;
    private readonly SoftPlatform? _platform;
    private readonly ManualResetEventSlim _wake = new(false);
    private int _kicked;
    private CpuidEntry[] _cpuid = [];
    private VcpuRunState _runState;

    internal SoftVcpuBackend(int index, GuestMemory memory, CodePageTracker codePages, SoftPlatform? platform, int vcpuCount)
    {
        Index = index;
        _platform = platform;
        _bus = new SoftCpuBus(memory, platform, index);
        // The PIC reaches the boot processor only (through its LINT0, as ExtINT on a PC).
        var interrupts = index == 0 ? platform?.Pic : null;
        _cpu = new EmulatedCpu(_bus, codePages, _bus, interrupts,
            new CpuidModel { ApicId = Xenon.Machine.Cpu.ApicIds.ForVcpu(index), LogicalProcessors = (uint)vcpuCount });
        if (index == 0) platform?.SetBootVcpuWake(_wake.Set);
        // Application processors wait for INIT/SIPI like KVM's; there is no local APIC to send them yet, so only state
        // restore or SetRegisters starts one.
        _runState = index == 0 ? VcpuRunState.Runnable : VcpuRunState.Uninitialized;
    }

    public int Index { get; }

    /// <summary>The emulated CPU (registers, instruction count, diagnostics such as <see cref="EmulatedCpu.LastUnimplemented"/>).</summary>
    public EmulatedCpu Cpu => _cpu;

    /// <summary>Instructions retired so far. Readable from any thread (a racy but untorn 64-bit read).</summary>
    public long InstructionsRetired => _cpu.InstructionsRetired;

    public void BindToCurrentThread()
    {
        // Nothing to bind: a kick is a flag the interpreter polls between blocks, not a signal to a thread.
    }

    public VcpuExit Run(IVcpuExitHandler handler)
    {
        _bus.Handler = handler;
        try
        {
            if (_runState == VcpuRunState.Uninitialized) return WaitForKick();
            while (true)
            {
                switch (_cpu.Run(SliceInstructions))
                {
                    case RunExit.BudgetExhausted:
                        continue;
                    case RunExit.Stopped:
                        Volatile.Write(ref _kicked, 0);
                        return VcpuExit.Interrupted;
                    case RunExit.Shutdown:
                        return new VcpuExit(VcpuExitKind.Shutdown, "triple fault (soft CPU shutdown)");
                    case RunExit.Halted:
                        if (_platform is null) return new VcpuExit(VcpuExitKind.Halt);
                        WaitWhileHalted();
                        continue;
                }
            }
        }
        finally
        {
            _bus.Handler = null;
        }
    }

    // Sleeps until something can end the halt: an interrupt the CPU will take, an NMI, or a kick. The event is reset
    // before the conditions are checked, so a wake-up between the check and the wait is not lost.
    private void WaitWhileHalted()
    {
        while (true)
        {
            _wake.Reset();
            if (Volatile.Read(ref _kicked) != 0 || _cpu.NmiPending) return;
            bool interruptsOn = (_cpu.State.FlagsControl & RFlags.IF) != 0;
            if (interruptsOn && _cpu.Interrupts is { HasPendingInterrupt: true }) return;
            _wake.Wait();
        }
    }

    private VcpuExit WaitForKick()
    {
        while (Volatile.Read(ref _kicked) == 0)
        {
            _wake.Reset();
            if (Volatile.Read(ref _kicked) != 0) break;
            _wake.Wait();
        }
        Volatile.Write(ref _kicked, 0);
        return VcpuExit.Interrupted;
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

    public void Dispose()
    {
        if (Index == 0) _platform?.SetBootVcpuWake(null);
        // _wake is deliberately not disposed: the PIT thread may have fetched the wake-up just before it was detached,
        // and a Set on a disposed event would throw on that thread. Without a WaitHandle it holds no kernel object.
    }
}
