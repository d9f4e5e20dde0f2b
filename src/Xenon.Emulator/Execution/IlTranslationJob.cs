namespace Xenon.Emulator.Execution;

/// <summary>
/// One background translation (<see cref="Cpu.IlAsync"/>): a hot block, with the region members chosen for it, handed
/// to the <see cref="IlTranslatorThread"/>. Made on the vCPU thread, which keeps the live blocks to itself: the worker
/// reads only <see cref="Code"/> (snapshots taken here) and <see cref="Options"/>, and writes only the results, which it
/// publishes by <see cref="Finish"/>. The vCPU installs the result at the block's next run if the live blocks still hold
/// the code the snapshots were taken from.
/// </summary>
internal sealed class IlTranslationJob
{
    public readonly Cpu Cpu;
    /// <summary>The blocks as the vCPU holds them (head first). Touched by the vCPU thread only.</summary>
    public readonly DecodedBlock[] Live;
    /// <summary>Copies of <see cref="Live"/>'s code at queue time: what the method is emitted from.</summary>
    public readonly DecodedBlock[] Code;
    public readonly IlEmitOptions Options;

    // Results, written by the worker before Finish publishes them.
    public TranslatedBlock? Il;
    public IlRegion? Region;
    public int Count;
    public int IlBytes;
    /// <summary>The worker's thread CPU and wall time (Stopwatch ticks) for emitting and compiling this job.</summary>
    public long CpuNs;
    public long Ticks;
    /// <summary>A translator bug: the job is dropped, the block counts towards its threshold again.</summary>
    public Exception? Error;

    private volatile int _state;
    private const int Queued = 0, Done = 1, Dropped = 2;

    public IlTranslationJob(Cpu cpu, DecodedBlock[] live, IlEmitOptions options)
    {
        Cpu = cpu;
        Live = live;
        Options = options;
        Code = new DecodedBlock[live.Length];
        for (int i = 0; i < live.Length; i++) Code[i] = live[i].CodeSnapshot();
    }

    /// <summary>The worker is done with it (results, if any, are visible to the reader of this flag).</summary>
    public bool Finished => _state != Queued;

    /// <summary>Finished without being worked on (the queue shut down, or the vCPU no longer wanted it).</summary>
    public bool WasDropped => _state == Dropped;

    public void Finish() => _state = Done;

    public void Drop() => _state = Dropped;

    /// <summary>Whether the vCPU still waits for it. Read on the worker without synchronisation, as a hint only (a job
    /// wanted a moment ago and compiled anyway is checked again at install).</summary>
    public bool StillWanted => ReferenceEquals(Live[0].Pending, this);
}
