using System.Diagnostics;

namespace Xenon.Domain;

/// <summary>Phase timings of a domain build, logged when XENON_TRACE=1 (for boot-time work; off by default).</summary>
internal readonly struct BuildTrace
{
    private readonly Action<string>? _log;
    private readonly Stopwatch? _watch;

    private BuildTrace(Action<string> log)
    {
        _log = log;
        _watch = Stopwatch.StartNew();
    }

    public static BuildTrace Start(Action<string> log) =>
        Environment.GetEnvironmentVariable("XENON_TRACE") == "1" ? new BuildTrace(log) : default;

    public void Mark(string phase)
    {
        if (_log is null) return;
        _log($"build: {phase} done at {_watch!.Elapsed.TotalMilliseconds:F1} ms (since process start {(DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds:F0} ms)");
    }
}
