using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// One software x86-64 vCPU: fetches through the <see cref="Mmu"/> into cached decoded blocks and interprets them.
/// Threading: one thread calls <see cref="Run"/>; <see cref="RequestStop"/> may be called from any thread. Several Cpus may
/// share one <see cref="IPhysicalMemory"/> and one <see cref="CodePageTracker"/> (SMP); LOCK-prefixed instructions use
/// host atomics on RAM so they are atomic across them.
/// </summary>
public sealed partial class Cpu
{
    private readonly CpuState _s;
    private readonly IPhysicalMemory _mem;
    private readonly Mmu _mmu;
    private readonly Tlb _tlb;
    private readonly CodePageTracker _code;
    private readonly BlockCache _blocks;

    public Cpu(IPhysicalMemory memory, CodePageTracker? codePages = null, IPortIo? io = null, IInterruptSource? interrupts = null,
        CpuidModel? cpuid = null)
    {
        _s = new CpuState();
        _mem = memory;
        _code = codePages ?? new CodePageTracker();
        _mmu = new Mmu(_s, memory, _code);
        _tlb = _mmu.Tlb;
        _code.AddCpu();
        _blocks = new BlockCache();
        Io = io;
        Interrupts = interrupts;
        Cpuid = cpuid ?? new CpuidModel();
        InitDecoders();
        Reset();
        UpdateHostRam();
    }

    public CpuState State => _s;
    public IPortIo? Io { get; set; }
    /// <summary>
    /// The interrupt controller the CPU takes maskable interrupts from. One that implements <see cref="ISignalsInterrupts"/>
    /// is attached to <see cref="Attention"/> and polled only when it raised it; any other is polled before every block.
    /// </summary>
    public IInterruptSource? Interrupts
    {
        get => _interrupts;
        set
        {
            _interrupts = value;
            _interruptsSignal = value is ISignalsInterrupts;
            if (value is ISignalsInterrupts s) s.AttachAttention(Attention);
            Attention.Raise();
        }
    }

    private IInterruptSource? _interrupts;
    private bool _interruptsSignal;

    /// <summary>The word a signalling interrupt source raises (see <see cref="ISignalsInterrupts"/>).</summary>
    public InterruptAttention Attention { get; } = new();
    public CpuidModel Cpuid { get; }

    /// <summary>MSRs the machine implements beyond the core's own (null: none). Set before the CPU runs.</summary>
    public IMsrExtension? ExtraMsrs { get; set; }
    public CodePageTracker CodePages => _code;

    /// <summary>Instructions retired since creation.</summary>
    public long InstructionsRetired { get; private set; }

    /// <summary>Set once a triple fault happened; the CPU stays shut down until <see cref="Reset"/>.</summary>
    public bool IsShutdown { get; private set; }

    /// <summary>Host clock for RDTSC; replaceable for deterministic tests.</summary>
    public Func<long> HostTsc { get; set; } = static () => System.Diagnostics.Stopwatch.GetTimestamp();

    public void Reset()
    {
        _s.Reset();
        _s.Gpr[2] = Cpuid.Signature; // EDX holds the CPUID signature after reset
        IsShutdown = false;
        _nmiPending = false;
        _nmiBlocked = false;
        _faultVector = -1;
        FlushTlb(keepGlobal: false);
    }

    /// <summary>An NMI raised but not yet delivered (state capture and restore; use <see cref="InjectNmi"/> to raise one).</summary>
    public bool NmiPending
    {
        get => _nmiPending;
        set => _nmiPending = value;
    }

    /// <summary>NMIs are blocked until the next IRET (an NMI handler is running).</summary>
    public bool NmiBlocked
    {
        get => _nmiBlocked;
        set => _nmiBlocked = value;
    }

    /// <summary>Current RFLAGS with the lazy status flags folded in.</summary>
    public ulong GetRflags() => (_s.FlagsControl & ~RFlags.Arith) | _s.Lazy.Compute() | RFlags.Fixed1;

    public void SetRflags(ulong value)
    {
        _s.FlagsControl = (value & ~RFlags.Arith) | RFlags.Fixed1;
        _s.Lazy.SetAll(value);
    }

    /// <summary>After the caller changed CR0/CR3/CR4/EFER or segment state directly through <see cref="State"/>.</summary>
    public void StateChanged() => FlushTlb(keepGlobal: false);

    internal void FlushTlb(bool keepGlobal) => _mmu.Tlb.FlushAll(keepGlobal);
}
