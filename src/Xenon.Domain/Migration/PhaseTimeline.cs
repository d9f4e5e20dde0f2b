using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Xenon.Domain.Migration;

/// <summary>
/// When each step of one migration ended, on one side, in milliseconds from the start: logged as one line once the
/// migration is over, so that a slow migration says where its time went (which step, and on which side) without a
/// profiler. A handful of marks per migration; not a hot path.
/// </summary>
internal sealed class PhaseTimeline
{
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Where this timeline's 0 lies on CLOCK_MONOTONIC, in ns: the two sides' lines on one host line up by it.</summary>
    public long OriginNs => RunningReport.TicksToNs(_origin);
    private readonly List<(string Phase, double Ms)> _marks = [];

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Records that <paramref name="phase"/> ended now.</summary>
    public void Mark(string phase) => _marks.Add((phase, _clock.Elapsed.TotalMilliseconds));

    /// <summary>Milliseconds from the start to the end of <paramref name="phase"/> (its last mark), or -1.</summary>
    public double At(string phase)
    {
        for (int i = _marks.Count - 1; i >= 0; i--)
            if (_marks[i].Phase == phase) return _marks[i].Ms;
        return -1;
    }

    /// <summary>"phase +step (at)" for every mark: how long each step took, and when it ended.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        double previous = 0;
        foreach (var (phase, ms) in _marks)
        {
            if (text.Length > 0) text.Append(", ");
            text.Append(CultureInfo.InvariantCulture, $"{phase} +{ms - previous:0.0} ({ms:0.0})");
            previous = ms;
        }
        return text.Append(" ms").ToString();
    }
}
