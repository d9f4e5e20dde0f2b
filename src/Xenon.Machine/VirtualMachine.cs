using Xenon.Machine.Backend;
using Xenon.Machine.Bus;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Machine;

/// <summary>
/// One guest machine: guest memory, the port and MMIO buses, and one host thread per vCPU
/// running the backend until the machine is asked to shut down. It owns the backend and the
/// memory; devices are registered on its buses by whoever builds the machine.
/// It can be paused (every vCPU thread leaves the backend's run call and parks), its CPU-side state captured while
/// paused, and a new machine started from such a state instead of a boot.
/// </summary>
public sealed class VirtualMachine : IMachineControl, IVcpuExitHandler, IDisposable
{
    private readonly IVcpuBackend[] _vcpus;
    private readonly Thread[] _threads;
    private readonly VcpuParking _parking;
    private readonly Lock _control = new();
    private bool _started;
    private readonly Action<string> _log;
    private readonly ManualResetEventSlim _stopped = new(false);
    private readonly TaskCompletionSource<MachineExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _shutdownRequested;
    private volatile bool _stopping;
    private int _running;
    private long _deviceFaults;

    /// <param name="logDirtyPages">Track guest writes per page (for live migration); read with <see cref="GetAndClearDirtyPages"/>.</param>
    public VirtualMachine(IVmBackend backend, GuestMemory memory, int vcpuCount, Action<string>? log = null, bool logDirtyPages = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        Backend = backend;
        Memory = memory;
        _log = log ?? (_ => { });
        Pio = new PioBus(_log);
        Mmio = new MmioBus(_log);
        foreach (var region in memory.Regions) backend.MapMemory(region, logDirtyPages);
        _vcpus = new IVcpuBackend[vcpuCount];
        _threads = new Thread[vcpuCount];
        _parking = new VcpuParking(vcpuCount, VcpuParking.DefaultSpin);
    }

    public IVmBackend Backend { get; }
    public GuestMemory Memory { get; }
    public PioBus Pio { get; }
    public MmioBus Mmio { get; }
    public int VcpuCount => _vcpus.Length;

    /// <summary>Exceptions thrown by device models while serving guest accesses (each one logged; the guest continues).</summary>
    public long DeviceFaults => Interlocked.Read(ref _deviceFaults);

    /// <summary>Completes when the machine has stopped; the result says why.</summary>
    public Task<MachineExit> Exited => _exit.Task;

    public IVcpuBackend Vcpu(int index) => _vcpus[index];

    /// <summary>The pages of <paramref name="region"/> written since the last call (bit n = page n), clearing the log.
    /// Needs <c>logDirtyPages</c> at construction.</summary>
    public ulong[] GetAndClearDirtyPages(GuestMemoryRegion region)
    {
        var bitmap = new ulong[(region.Size / 4096 + 63) / 64];
        Backend.GetAndClearDirtyLog(region, bitmap);
        return bitmap;
    }

    /// <summary>Creates every vCPU; <paramref name="configure"/> runs for each (CPUID, boot registers) before any starts.</summary>
    public void CreateVcpus(Action<IVcpuBackend> configure)
    {
        for (int i = 0; i < _vcpus.Length; i++)
        {
            _vcpus[i] = Backend.CreateVcpu(i);
            configure(_vcpus[i]);
        }
    }

    /// <summary>Starts one thread per vCPU. Configuration of a vCPU's state must be done before.</summary>
    /// <param name="paused">Start with every vCPU parked before its first instruction (<see cref="Resume"/> runs them).</param>
    public void Start(bool paused = false)
    {
        if (_vcpus[0] is null) throw new InvalidOperationException("CreateVcpus must be called before Start");
        lock (_control)
        {
            if (_started) throw new InvalidOperationException("the machine was already started");
            _started = true;
        }
        _running = _vcpus.Length;
        _parking.Begin(_vcpus.Length, paused);
        for (int i = 0; i < _vcpus.Length; i++)
        {
            int index = i;
            _threads[i] = new Thread(() => VcpuLoop(index)) { Name = $"vcpu{index}", IsBackground = true };
            _threads[i].Start();
        }
    }

    public void RequestShutdown(ShutdownReason reason, string why)
    {
        if (Interlocked.Exchange(ref _shutdownRequested, 1) != 0) return;
        _log($"machine: shutdown requested: {reason} ({why})");
        _pendingExit = new MachineExit(reason, why);
        _stopping = true;
        _parking.Stop();
        foreach (var v in _vcpus) v?.Kick();
    }

    /// <summary>True between <see cref="Pause"/> (or a paused <see cref="Start"/>) and <see cref="Resume"/>.</summary>
    public bool IsPaused => _parking.PauseRequested;

    /// <summary>Stops the guest: every vCPU thread leaves the backend's run call (completing an I/O access in progress
    /// first) and parks. Returns when all are parked, or the machine has stopped. A pause is not a guest exit:
    /// <see cref="Exited"/> stays pending, and devices keep running (quiescing them is their owner's job).</summary>
    public void Pause()
    {
        lock (_control)
        {
            if (!_started) throw new InvalidOperationException("Start must be called before Pause");
            _parking.RequestPause();
            // After the request is visible: a vCPU between its check and its next run call is stopped by the kick's
            // immediate-exit flag, and one inside the guest by the kick's signal.
            foreach (var v in _vcpus) v.Kick();
            _parking.WaitUntilParked();
        }
    }

    /// <summary>Parked vCPU threads spin for <paramref name="time"/> (bounded, see <see cref="VcpuParking"/>) instead of
    /// sleeping: a caller that expects to restore state or resume soon has the threads find it at once.</summary>
    public void SpinParkedVcpus(TimeSpan time) => _parking.SpinFor(time);

    /// <summary>Lets the parked vCPUs run the guest again.</summary>
    public void Resume()
    {
        lock (_control)
        {
            if (!_started) throw new InvalidOperationException("Start must be called before Resume");
            _parking.Release();
        }
    }

    /// <summary>Captures every vCPU's state (each on its own thread, as the backend requires) and the platform state.
    /// The machine must be paused.</summary>
    public MachineState CaptureState()
    {
        lock (_control)
        {
            RequirePaused("CaptureState");
            var vcpus = new VcpuState[_vcpus.Length];
            _parking.RunOnEach(i => vcpus[i] = _vcpus[i].GetState());
            return new MachineState(vcpus, Backend.GetPlatformState());
        }
    }

    /// <summary>Applies a captured state: every vCPU's (each on its own thread), then the platform's (clock last).
    /// The machine must be paused and have as many vCPUs as the state. Guest memory is the caller's to restore.</summary>
    public void RestoreState(MachineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Vcpus.Count != _vcpus.Length)
            throw new ArgumentException($"the state has {state.Vcpus.Count} vCPUs, this machine {_vcpus.Length}", nameof(state));
        var profile = RestoreProfile.Current;
        lock (_control)
        {
            RequirePaused("RestoreState");
            profile?.Add("wait");
            if (profile is null)
            {
                _parking.RunOnEach(i => _vcpus[i].SetState(state.Vcpus[i]));
                Backend.SetPlatformState(state.Platform);
                return;
            }
            // Profiled: each vCPU's steps on its own thread, the first of them the hand-off's wake-up.
            var vcpus = new RestoreProfile[_vcpus.Length];
            long handed = System.Diagnostics.Stopwatch.GetTimestamp();
            _parking.RunOnEach(i =>
            {
                var own = new RestoreProfile(handed);
                using (own.Enter())
                {
                    RestoreProfile.Mark("wake");
                    _vcpus[i].SetState(state.Vcpus[i]);
                }
                vcpus[i] = own;
            });
            profile.AddInner("vcpus", vcpus);
            var platform = new RestoreProfile();
            using (platform.Enter()) Backend.SetPlatformState(state.Platform);
            profile.AddInner("platform", platform);
        }
    }

    /// <summary>The restore path: starts the vCPU threads parked, applies <paramref name="state"/>, and runs the guest
    /// from there (unless <paramref name="paused"/>). Call after <see cref="CreateVcpus"/> (no boot configuration is
    /// needed: the state carries CPUID and registers) and after guest memory holds the saved contents.</summary>
    public void StartFromState(MachineState state, bool paused = false)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Vcpus.Count != _vcpus.Length)
            throw new ArgumentException($"the state has {state.Vcpus.Count} vCPUs, this machine {_vcpus.Length}", nameof(state));
        Start(paused: true);
        RestoreProfile.Mark("threads");
        if (!_parking.WaitUntilParked()) throw new InvalidOperationException("the machine stopped before its state could be restored");
        RestoreState(state);
        if (!paused) Resume();
    }

    private void RequirePaused(string what)
    {
        if (!_started || !IsPaused) throw new InvalidOperationException($"{what} needs a paused machine (call Pause first)");
    }

    private MachineExit? _pendingExit;

    /// <summary>Blocks until every vCPU thread has stopped.</summary>
    public MachineExit WaitForExit()
    {
        _stopped.Wait();
        return _exit.Task.Result;
    }

    private void VcpuLoop(int index)
    {
        var vcpu = _vcpus[index];
        try
        {
            vcpu.BindToCurrentThread();
            // A vCPU may park only when no guest access is half done: after an I/O exit the backend must be entered
            // once more to complete it (KVM writes the IN result and moves RIP past the instruction then), or the
            // captured state would replay the access. A kick's immediate exit makes that re-entry return at once.
            bool mayPark = true;
            while (!_stopping)
            {
                if (mayPark && _parking.PauseRequested)
                {
                    _parking.Park(index);
                    continue;
                }
                var exit = vcpu.Run(this);
                mayPark = exit.Kind == VcpuExitKind.Interrupted;
                switch (exit.Kind)
                {
                    case VcpuExitKind.Io:
                    case VcpuExitKind.Interrupted:
                        break;
                    case VcpuExitKind.Halt:
                        // With the in-kernel irqchip HLT never leaves the kernel; without one, a halted
                        // vCPU that nothing can wake has finished.
                        RequestShutdown(ShutdownReason.PowerOff, $"vCPU {index} halted");
                        break;
                    case VcpuExitKind.Shutdown:
                        // The registers go into the reason, which every log keeps. On AMD they are the reset state
                        // (KVM reinitialises the vCPU before it reports the shutdown); the kvm:kvm_exit trace has
                        // where the guest was (the scenario harness records it, docs/testing.md).
                        RequestShutdown(ShutdownReason.Crash, $"vCPU {index}: triple fault (CPU shutdown){DescribeVcpu(vcpu)}");
                        break;
                    case VcpuExitKind.SystemReset:
                        RequestShutdown(ShutdownReason.Reboot, $"vCPU {index}: system reset event");
                        break;
                    case VcpuExitKind.SystemPowerOff:
                        RequestShutdown(ShutdownReason.PowerOff, $"vCPU {index}: system power-off event");
                        break;
                    default:
                        RequestShutdown(ShutdownReason.Crash, $"vCPU {index}: {exit.Detail ?? exit.Kind.ToString()}{DescribeVcpu(vcpu)}");
                        break;
                }
            }
        }
        catch (Exception e)
        {
            RequestShutdown(ShutdownReason.Crash, $"vCPU {index} failed: {e.Message}");
        }
        finally
        {
            _parking.ThreadEnded();
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _exit.TrySetResult(_pendingExit ?? new MachineExit(ShutdownReason.Crash, "vCPUs stopped without a reason"));
                _stopped.Set();
            }
        }
    }

    private static string DescribeVcpu(IVcpuBackend vcpu)
    {
        try
        {
            var r = vcpu.GetRegisters();
            var s = vcpu.GetSpecialRegisters();
            return $" (rip=0x{r.Rip:x} rsp=0x{r.Rsp:x} rflags=0x{r.Rflags:x} cs=0x{s.Cs.Selector:x}/base 0x{s.Cs.Base:x}/l{(s.Cs.Long ? 1 : 0)}d{(s.Cs.DefaultBig ? 1 : 0)} " +
                $"ss=0x{s.Ss.Selector:x} cr0=0x{s.Cr0:x} cr2=0x{s.Cr2:x} cr3=0x{s.Cr3:x} cr4=0x{s.Cr4:x} efer=0x{s.Efer:x} " +
                $"gdt=0x{s.Gdt.Base:x}/0x{s.Gdt.Limit:x} idt=0x{s.Idt.Base:x}/0x{s.Idt.Limit:x} tr=0x{s.Tr.Selector:x} apicbase=0x{s.ApicBase:x})";
        }
        catch (Exception)
        {
            return "";
        }
    }

    void IVcpuExitHandler.PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite)
    {
        try
        {
            if (isWrite) Pio.Write(port, data);
            else Pio.Read(port, data);
        }
        catch (Exception e)
        {
            DeviceFault(e, $"port 0x{port:x}");
            if (!isWrite) data.Fill(0xff);
        }
    }

    void IVcpuExitHandler.Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite)
    {
        try
        {
            if (isWrite) Mmio.Write(address, data);
            else Mmio.Read(address, data);
        }
        catch (Exception e)
        {
            DeviceFault(e, $"mmio 0x{address:x}");
            if (!isWrite) data.Fill(0xff);
        }
    }

    // A device model bug must not take the guest down with the process: log it, make the access
    // a no-op/all-ones, and go on.
    private void DeviceFault(Exception e, string where)
    {
        if (Interlocked.Increment(ref _deviceFaults) <= 16)
            _log($"device fault at {where}: {e.GetType().Name}: {e.Message}");
    }

    /// <summary>Stops the vCPUs if they run (as a power-off) and waits for them, at most five seconds, so that the
    /// devices can be torn down while guest memory and the VM still exist.</summary>
    public void Stop()
    {
        if (_running > 0)
        {
            RequestShutdown(ShutdownReason.PowerOff, "machine disposed");
            _stopped.Wait(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        Stop();
        foreach (var v in _vcpus) v?.Dispose();
        Backend.Dispose();
        Memory.Dispose();
        _stopped.Dispose();
    }
}

/// <summary>Why a machine stopped.</summary>
public sealed record MachineExit(ShutdownReason Reason, string Detail);
