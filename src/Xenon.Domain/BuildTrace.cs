using Stopwatch = System.Diagnostics.Stopwatch;

namespace Xenon.Domain;

/// <summary>Phase timings of a domain build, logged when XENON_TRACE=1 (for boot-time work; off by default).</summary>
internal readonly struct BuildTrace
{
    private readonly Action<string>? _log;
    private readonly Stopwatch? _watch;
    private readonly double _startSinceProcessMs;

    private BuildTrace(Action<string> log)
    {
        // Asked once, before the watch runs: the first Process query loads and initialises a good deal of code, which
        // would otherwise be charged to whichever phase came next.
        _startSinceProcessMs = (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        _log = log;
        _watch = Stopwatch.StartNew();
        log($"build: started {_startSinceProcessMs:F0} ms after process start");
    }

    public static BuildTrace Start(Action<string> log) =>
        Environment.GetEnvironmentVariable("XENON_TRACE") == "1" ? new BuildTrace(log) : default;

    public void Mark(string phase)
    {
        if (_log is null) return;
        double ms = _watch!.Elapsed.TotalMilliseconds;
        _log($"build: {phase} done at {ms:F1} ms (since process start {_startSinceProcessMs + ms:F0} ms)");
    }
}
