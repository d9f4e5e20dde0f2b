using System.Diagnostics;

namespace Xenon.Machine.State;

/// <summary>
/// Where vCPU threads wait while their machine is paused, and how work (capturing or restoring a vCPU's state) is run
/// on each vCPU's own thread meanwhile. The machine asks for a pause, kicks every vCPU out of the backend's run call,
/// and each vCPU thread parks here; <see cref="WaitUntilParked"/> returns once every live thread has parked.
/// One monitor guards it all: pausing is rare, so simplicity beats lock-free here.
/// </summary>
/// <remarks>
/// With a spin bound (<see cref="DefaultSpin"/>, 3 ms): for that long after a pause, after each state
/// operation, and while <see cref="SpinFor"/> asks it, a parked thread spins (outside the monitor) instead of sleeping
/// on it, and so does a requester waiting for the threads: the next step of a save or a migration's downtime (the
/// capture after the pause, the resume after the restore) is then a store that a running thread sees, not a futex wake
/// plus the scheduler's latency. Past the bound everything sleeps on the monitor as before (docs/migration.md, "Parked
/// vCPUs that spin").
/// </remarks>
internal sealed class VcpuParking
{
    private readonly object _gate = new();
    private readonly Action<int>?[] _work;
    private readonly Exception?[] _workErrors;
    private int _live;
    private int _parked;
    private int _workPending;
    private bool _pauseRequested;
    private bool _stopping;
    private readonly long _spinTicks;
    private long _hotUntil; // Stopwatch timestamp until which waiting threads spin

    /// <param name="spin">How long threads spin after a pause or a state operation before they sleep (zero: never).</param>
    public VcpuParking(int vcpuCount, TimeSpan spin)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spin, TimeSpan.Zero);
        _work = new Action<int>?[vcpuCount];
        _workErrors = new Exception?[vcpuCount];
        _spinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>The default spin bound: XENON_PARK_SPIN_MS (0: never spin, for measuring), else 3 ms. Short on purpose:
    /// on the 2-core build host under load a 10 ms spin took the CPU the migration's other threads needed and the
    /// downtime grew, 3 ms cut it (docs/benchmarks.md, "m9").</summary>
    public static TimeSpan DefaultSpin { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("XENON_PARK_SPIN_MS"), out int ms) && ms >= 0 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromMilliseconds(3);

    /// <summary>True while waiting threads spin rather than sleep.</summary>
    public bool Spinning => Stopwatch.GetTimestamp() < Volatile.Read(ref _hotUntil);

    /// <summary>Read without the lock by the vCPU loop between runs; a stale false is corrected by the kick that follows every request.</summary>
    public bool PauseRequested => Volatile.Read(ref _pauseRequested);

    /// <summary>Called once before the vCPU threads start.</summary>
    public void Begin(int liveThreads, bool paused)
    {
        lock (_gate)
        {
            _live = liveThreads;
            _pauseRequested = paused;
        }
    }

    public void RequestPause()
    {
        lock (_gate)
        {
            _pauseRequested = true;
            Heat(_spinTicks);
        }
    }

    /// <summary>Parked threads (and requesters) spin for <paramref name="time"/>, at most the bound given at construction,
    /// from now: a caller that knows a state operation or a resume is near (a migration's receiver between pre-copy
    /// rounds) has it find the threads running. Does nothing when spinning is off.</summary>
    public void SpinFor(TimeSpan time)
    {
        long ticks = Math.Min(_spinTicks, (long)(time.TotalSeconds * Stopwatch.Frequency));
        if (ticks <= 0) return;
        lock (_gate) Heat(ticks);
    }

    // Lock held. Sleeping parked threads are woken so that they spin.
    private void Heat(long ticks)
    {
        if (ticks <= 0) return;
        long until = Stopwatch.GetTimestamp() + ticks;
        if (until <= _hotUntil) return;
        Volatile.Write(ref _hotUntil, until);
        Monitor.PulseAll(_gate);
    }

    /// <summary>Lets every parked thread return to running the guest.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _pauseRequested = false;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The machine is stopping: parked threads leave so they can end.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>A vCPU thread is ending (for any reason): it will never park, so pausers must not wait for it.</summary>
    public void ThreadEnded()
    {
        lock (_gate)
        {
            _live--;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Blocks until every live vCPU thread is parked (true), or none is left (false: the machine stopped).</summary>
    public bool WaitUntilParked()
    {
        lock (_gate)
        {
            while (_parked < _live && !_stopping)
            {
                WaitOrSpin(Awaited.AllParked, 0);
            }
            return _live > 0 && !_stopping;
        }
    }

    // Lock held. Spins (outside the lock) while the window lasts, else sleeps on the monitor; the caller re-checks.
    private void WaitOrSpin(Awaited what, int index)
    {
        if (Spinning) SpinOutside(what, index);
        else Monitor.Wait(_gate);
    }

    // Lock held on entry and on return; released while spinning. Spins while the condition holds and the window lasts;
    // the caller re-checks under the lock, so a change made (under the lock) as the window ends is not missed.
    private void SpinOutside(Awaited what, int index)
    {
        Monitor.Exit(_gate);
        try
        {
            var spin = new SpinWait();
            while (StillWaiting(what, index) && Spinning) spin.SpinOnce(sleep1Threshold: -1);
        }
        finally
        {
            Monitor.Enter(_gate);
        }
    }

    private enum Awaited { AllParked, WorkOrRelease, WorkDone }

    // Read without the lock: the fields change under it, and the caller decides under it again.
    private bool StillWaiting(Awaited what, int index)
    {
        if (Volatile.Read(ref _stopping)) return false;
        return what switch
        {
            Awaited.AllParked => Volatile.Read(ref _parked) < Volatile.Read(ref _live),
            Awaited.WorkOrRelease => Volatile.Read(ref _pauseRequested) && Volatile.Read(ref _work[index]) is null,
            _ => Volatile.Read(ref _workPending) > 0,
        };
    }

    /// <summary>Called by vCPU thread <paramref name="index"/> when it sees a pause request: waits, running any work
    /// handed to it, until the pause is released or the machine stops.</summary>
    public void Park(int index)
    {
        lock (_gate)
        {
            _parked++;
            Monitor.PulseAll(_gate);
            try
            {
                while (_pauseRequested && !_stopping)
                {
                    var work = _work[index];
                    if (work is null)
                    {
                        WaitOrSpin(Awaited.WorkOrRelease, index);
                        continue;
                    }
                    _work[index] = null;
                    Exception? error = null;
                    // run the work outside the monitor so the vCPUs' captures proceed side by side
                    Monitor.Exit(_gate);
                    try
                    {
                        work(index);
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }
                    finally
                    {
                        Monitor.Enter(_gate);
                    }
                    _workErrors[index] = error;
                    if (_workPending > 0) _workPending--; // 0 already if the requester gave up because the machine stopped
                    // What follows a state operation (the resume after a restore, the next operation) comes soon.
                    Heat(_spinTicks);
                    Monitor.PulseAll(_gate);
                }
            }
            finally
            {
                _parked--;
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on each vCPU's own thread (all of them parked) and waits for all to finish.
    /// Throws if the machine is not fully parked, or with the first vCPU's failure.</summary>
    public void RunOnEach(Action<int> work)
    {
        lock (_gate)
        {
            if (!_pauseRequested) throw new InvalidOperationException("the machine is not paused");
            if (_stopping || _live != _work.Length || _parked != _live)
                throw new InvalidOperationException($"not every vCPU is parked ({_parked} of {_work.Length}; the machine may have stopped)");
            if (_workPending != 0) throw new InvalidOperationException("another state operation is in progress");
            for (int i = 0; i < _work.Length; i++)
            {
                _work[i] = work;
                _workErrors[i] = null;
            }
            _workPending = _work.Length;
            Heat(_spinTicks);
            Monitor.PulseAll(_gate);
            while (_workPending > 0)
            {
                if (_stopping)
                {
                    Array.Clear(_work);
                    _workPending = 0;
                    throw new InvalidOperationException("the machine stopped while its vCPUs' state was being transferred");
                }
                WaitOrSpin(Awaited.WorkDone, 0);
            }
            for (int i = 0; i < _workErrors.Length; i++)
                if (_workErrors[i] is { } e) throw new InvalidOperationException($"vCPU {i}: {e.Message}", e);
        }
    }
}
