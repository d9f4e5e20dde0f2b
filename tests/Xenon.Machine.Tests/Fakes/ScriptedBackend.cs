using Xenon.Machine.Backend;
using Xenon.Machine.Interrupts;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.Fakes;

/// <summary>A CPU backend whose vCPUs play a script instead of running guest code: each step
/// performs guest I/O through the exit handler (as KVM_RUN does) and returns an exit.</summary>
internal sealed class ScriptedBackend : IVmBackend
{
    private readonly Func<int, IEnumerable<Func<IVcpuExitHandler, int, VcpuExit>>> _scripts;

    public ScriptedBackend(Func<int, IEnumerable<Func<IVcpuExitHandler, int, VcpuExit>>> scripts) => _scripts = scripts;

    public List<GuestMemoryRegion> Mapped { get; } = [];
    public List<(int Gsi, bool Level)> IrqLevels { get; } = [];
    public bool Disposed { get; private set; }
    public List<ScriptedVcpu> Vcpus { get; } = [];

    public string Name => "scripted";

    public void MapMemory(GuestMemoryRegion region, bool logDirty) => Mapped.Add(region);

    public void CreateInterruptControllers() { }

    public IIrqLine GetIrqLine(int gsi) => new Line(this, gsi);

    public List<(ulong Address, uint Data)> Messages { get; } = [];

    public IMsiController Msi => new RecordingMsi(this);

    private sealed class RecordingMsi(ScriptedBackend owner) : IMsiController
    {
        public void SignalMsi(ulong address, uint data)
        {
            lock (owner.Messages) owner.Messages.Add((address, data));
        }
    }

    public IReadOnlyList<CpuidEntry> GetSupportedCpuid() => [new CpuidEntry(0, 0, false, 1, 0, 0, 0), new CpuidEntry(1, 0, false, 0, 0, 0, 0)];

    public IVcpuBackend CreateVcpu(int index)
    {
        var v = new ScriptedVcpu(index, _scripts(index));
        Vcpus.Add(v);
        return v;
    }

    public void GetAndClearDirtyLog(GuestMemoryRegion region, Span<ulong> bitmap) => bitmap.Clear();

    /// <summary>What <see cref="GetPlatformState"/> returns and <see cref="SetPlatformState"/> replaces.</summary>
    public PlatformState Platform { get; set; } = new() { ClockNs = 1234 };
    public int PlatformSets { get; private set; }

    public PlatformState GetPlatformState() => Platform;

    public void SetPlatformState(PlatformState state)
    {
        Platform = state;
        PlatformSets++;
    }

    public void Dispose() => Disposed = true;

    private sealed class Line(ScriptedBackend owner, int gsi) : IIrqLine
    {
        public int Gsi => gsi;

        public void SetLevel(bool high)
        {
            lock (owner.IrqLevels) owner.IrqLevels.Add((gsi, high));
        }
    }
}

internal sealed class ScriptedVcpu(int index, IEnumerable<Func<IVcpuExitHandler, int, VcpuExit>> script) : IVcpuBackend
{
    private readonly IEnumerator<Func<IVcpuExitHandler, int, VcpuExit>> _steps = script.GetEnumerator();
    private readonly SemaphoreSlim _kick = new(0);
    private int _immediateExit;
    private X86Registers _regs;
    private X86SpecialRegisters _sregs;

    public int Index => index;
    public int Kicks;
    public CpuidEntry[] Cpuid = [];

    public void BindToCurrentThread() { }

    public void SetCpuid(ReadOnlySpan<CpuidEntry> entries) => Cpuid = entries.ToArray();

    public X86Registers GetRegisters() => _regs;

    public void SetRegisters(in X86Registers regs) => _regs = regs;

    public X86SpecialRegisters GetSpecialRegisters() => _sregs;

    public void SetSpecialRegisters(in X86SpecialRegisters sregs) => _sregs = sregs;

    public void SetMsrs(ReadOnlySpan<MsrEntry> msrs) { }

    /// <summary>Threads that ran <see cref="Run"/>, <see cref="GetState"/> and <see cref="SetState"/> (managed thread ids).</summary>
    public readonly List<int> RunThreads = [], StateThreads = [];
    /// <summary>Runs in progress: a state access while one is in progress is a bug in the machine.</summary>
    public int InRun;
    public VcpuState? LastSetState;
    public Exception? GetStateFailure;
    public Exception? SetStateFailure;

    public VcpuState GetState()
    {
        if (Volatile.Read(ref InRun) != 0) throw new InvalidOperationException("GetState while running");
        lock (StateThreads) StateThreads.Add(Environment.CurrentManagedThreadId);
        if (GetStateFailure is { } e) throw e;
        return new VcpuState { Registers = _regs, SpecialRegisters = _sregs, TscKhz = (uint)(1000 + index) };
    }

    public void SetState(VcpuState state)
    {
        if (Volatile.Read(ref InRun) != 0) throw new InvalidOperationException("SetState while running");
        lock (StateThreads) StateThreads.Add(Environment.CurrentManagedThreadId);
        if (SetStateFailure is { } e) throw e;
        _regs = state.Registers;
        _sregs = state.SpecialRegisters;
        LastSetState = state;
    }

    public void ResetFpu() { }

    /// <summary>Plays the next step; when the script is over, blocks like an idle vCPU until kicked. Like KVM_RUN, a
    /// kick that arrives between runs makes the next run return at once (the immediate-exit flag).</summary>
    public VcpuExit Run(IVcpuExitHandler handler)
    {
        Interlocked.Increment(ref InRun);
        try
        {
            lock (RunThreads)
                if (RunThreads.Count == 0 || RunThreads[^1] != Environment.CurrentManagedThreadId) RunThreads.Add(Environment.CurrentManagedThreadId);
            if (Interlocked.Exchange(ref _immediateExit, 0) == 1) return VcpuExit.Interrupted;
            if (_steps.MoveNext()) return _steps.Current(handler, index);
            _kick.Wait();
            Interlocked.Exchange(ref _immediateExit, 0);
            return VcpuExit.Interrupted;
        }
        finally
        {
            Interlocked.Decrement(ref InRun);
        }
    }

    public void Kick()
    {
        Interlocked.Increment(ref Kicks);
        Volatile.Write(ref _immediateExit, 1);
        _kick.Release();
    }

    public void Dispose() { }
}

internal static class Steps
{
    public static Func<IVcpuExitHandler, int, VcpuExit> Out(ushort port, params byte[] data) => (h, v) =>
    {
        h.PortIo(v, port, data.AsSpan().ToArray(), isWrite: true);
        return VcpuExit.IoDone;
    };

    public static Func<IVcpuExitHandler, int, VcpuExit> In(ushort port, byte[] into) => (h, v) =>
    {
        h.PortIo(v, port, into, isWrite: false);
        return VcpuExit.IoDone;
    };

    public static Func<IVcpuExitHandler, int, VcpuExit> Exit(VcpuExitKind kind, string? detail = null) => (_, _) => new VcpuExit(kind, detail);

    public static Func<IVcpuExitHandler, int, VcpuExit> Throw(string message) => (_, _) => throw new InvalidOperationException(message);
}
