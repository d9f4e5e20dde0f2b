using System.Diagnostics;
using System.Reflection.Emit;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The background translator (<see cref="Cpu.IlAsync"/>): one named thread that takes hot blocks from a bounded queue,
/// emits their IL, and has the JIT compile it by calling it once with an entry that returns at once, so the vCPU thread,
/// which keeps interpreting the block meanwhile, never waits for the JIT. A full queue refuses a job rather than blocking
/// the vCPU. One thread serves every CPU of the process (<see cref="Shared"/>); tests make their own.
/// </summary>
internal sealed class IlTranslatorThread : IDisposable
{
    /// <summary>Jobs waiting at most: 1-2 ms of JIT each on this host, so a full queue is ~0.2 s behind (a boot queues
    /// ~1 000 jobs over ~8 s, most of them in bursts).</summary>
    public const int DefaultCapacity = 128;

    private static readonly Lazy<IlTranslatorThread> SharedInstance = new(() => new IlTranslatorThread(DefaultCapacity));

    /// <summary>The process's translator, started on first use; a background thread, so it never holds the process up.</summary>
    public static IlTranslatorThread Shared => SharedInstance.Value;

    private readonly object _lock = new();
    private readonly Queue<IlTranslationJob> _queue;
    private readonly int _capacity;
    private readonly Thread _thread;
    private bool _stopping;
    private bool _busy;

    public IlTranslatorThread(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _queue = new Queue<IlTranslationJob>(capacity);
        _thread = new Thread(Loop) { Name = "xenon-il-translator", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Whether the worker thread is still alive (false once <see cref="Dispose"/> joined it).</summary>
    internal bool IsRunning => _thread.IsAlive;

    /// <summary>Tests: called on the worker before each job (a gate that holds the worker while the vCPU goes on).</summary>
    internal Action<IlTranslationJob>? BeforeJob { get; set; }

    /// <summary>Jobs accepted, finished (translated or not), refused because the queue was full or shut down.</summary>
    public long Accepted { get; private set; }
    public long Completed { get; private set; }
    public long Refused { get; private set; }
    /// <summary>The worker's thread CPU for all its jobs (emitting and the JIT), nanoseconds.</summary>
    public long CpuNs { get; private set; }
    /// <summary>The last translator bug (the job was dropped, nothing installed).</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Queues a job; false (the job untouched) when the queue is full or the translator stopped.</summary>
    public bool TryQueue(IlTranslationJob job)
    {
        lock (_lock)
        {
            if (_stopping || _queue.Count >= _capacity)
            {
                Refused++;
                return false;
            }
            _queue.Enqueue(job);
            Accepted++;
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    /// <summary>Waits until the queue is empty and no job is being worked on; false on timeout.</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_queue.Count > 0 || _busy)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
            }
            return true;
        }
    }

    /// <summary>Stops taking jobs, finishes the one being worked on, drops the rest (their blocks count again) and
    /// joins the thread.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        if (Thread.CurrentThread != _thread) _thread.Join();
    }

    private void Loop()
    {
        while (true)
        {
            IlTranslationJob job;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_lock);
                if (_stopping)
                {
                    while (_queue.TryDequeue(out IlTranslationJob? left)) left.Drop();
                    Monitor.PulseAll(_lock);
                    return;
                }
                job = _queue.Dequeue();
                _busy = true;
            }
            long ns = 0;
            try
            {
                BeforeJob?.Invoke(job);
                ns = Work(job);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Only the test hook can get here (Work catches the translator's own): drop the job, keep the thread.
                job.Error = ex;
                job.Drop();
            }
            finally
            {
                lock (_lock)
                {
                    _busy = false;
                    Completed++;
                    CpuNs += ns;
                    if (job.Error is not null) LastError = job.Error;
                    Monitor.PulseAll(_lock);
                }
            }
        }
    }

    /// <summary>Emits, compiles and binds one job; returns the thread CPU it took.</summary>
    private long Work(IlTranslationJob job)
    {
        if (!job.StillWanted)
        {
            job.Drop();
            return 0;
        }
        long c0 = ThreadCpuClock.Now(), t0 = Stopwatch.GetTimestamp();
        try
        {
            // Checked at the call, as in Cpu.RunTranslated, so the trimmer sees the dynamic code as unreachable in NativeAOT.
            if (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported) Compile(job);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            job.Il = null;
            job.Error = ex;
        }
        job.Ticks = Stopwatch.GetTimestamp() - t0;
        job.CpuNs = ThreadCpuClock.Now() - c0;
        if (job.Error is not null) job.Drop();
        else job.Finish();
        return job.CpuNs;
    }

    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("emits IL; the caller checks RuntimeFeature.IsDynamicCodeSupported")]
    private void Compile(IlTranslationJob job)
    {
        DynamicMethod? method = BlockTranslator.EmitMethod(job.Options, job.Code, out job.Count, out job.IlBytes, out job.Region);
        if (method is null) return;
        TranslatedBlock il = BlockTranslator.Bind(method, job.Cpu);
        // The JIT compiles the method at its first call; a negative entry returns at once without reading the CPU, so the
        // vCPU's state is not touched from this thread and nothing of the emulator runs here.
        _ = il(job.Code[0].Fast, -1);
        job.Il = il;
    }
}
