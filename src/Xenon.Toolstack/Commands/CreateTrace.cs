using Stopwatch = System.Diagnostics.Stopwatch;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// Step timings of xenon create's path up to the domain build, logged when XENON_TRACE=1 (the build trace's switch;
/// docs/benchmarks.md reads them). Off by default: then every call is a null check.
/// </summary>
internal sealed class CreateTrace
{
    private readonly TextWriter _log;
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    private CreateTrace(TextWriter log) => _log = log;

    public static CreateTrace? Start(TextWriter log) =>
        Environment.GetEnvironmentVariable("XENON_TRACE") == "1" ? new CreateTrace(log) : null;

    public void Mark(string step) => _log.WriteLine($"xenon: create: {step} done at {_watch.Elapsed.TotalMilliseconds:F1} ms");
}
