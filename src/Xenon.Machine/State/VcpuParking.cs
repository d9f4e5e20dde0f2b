namespace Xenon.Machine.State;

/// <summary>
/// Where vCPU threads wait while their machine is paused, and how work (capturing or restoring a vCPU's state) is run
/// on each vCPU's own thread meanwhile. The machine asks for a pause, kicks every vCPU out of the backend's run call,
/// and each vCPU thread parks here; <see cref="WaitUntilParked"/> returns once every live thread has parked.
/// One monitor guards it all: pausing is rare, so simplicity beats lock-free here.
/// </summary>
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

    public VcpuParking(int vcpuCount)
    {
        _work = new Action<int>?[vcpuCount];
        _workErrors = new Exception?[vcpuCount];
    }

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
        lock (_gate) _pauseRequested = true;
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
            while (_parked < _live && !_stopping) Monitor.Wait(_gate);
            return _live > 0 && !_stopping;
        }
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
                        Monitor.Wait(_gate);
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
            Monitor.PulseAll(_gate);
            while (_workPending > 0)
            {
                if (_stopping)
                {
                    Array.Clear(_work);
                    _workPending = 0;
                    throw new InvalidOperationException("the machine stopped while its vCPUs' state was being transferred");
                }
                Monitor.Wait(_gate);
            }
            for (int i = 0; i < _workErrors.Length; i++)
                if (_workErrors[i] is { } e) throw new InvalidOperationException($"vCPU {i}: {e.Message}", e);
        }
    }
}
