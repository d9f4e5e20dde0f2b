using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;

namespace Xenon.Machine.State;

/// <summary>
/// Where the apply of a restore or an incoming migration goes, step by step ("cpuid 0.4, sregs 0.1, …", in ms), with
/// the methods the JIT compiled during a step where there were any ("(JIT 3, 12.0 ms)": code that ReadyToRun did not
/// cover, compiled inside the window). The code doing the work names its steps with <see cref="Mark"/> against the
/// calling thread's current profile; without one (any run that is not being profiled) a mark is one thread-static
/// read, so the steps stay in the code for good.
/// </summary>
/// <remarks>A profile is written by one thread at a time: work on other threads (each vCPU's) gets a profile of its
/// own, added to the caller's with <see cref="AddInner"/> once that work is done.</remarks>
public sealed class RestoreProfile
{
    [ThreadStatic] private static RestoreProfile? t_current;

    private readonly StringBuilder _text = new();
    private readonly long _start;
    private long _last;
    private long _jitMethods, _startJitMethods;
    private TimeSpan _jitTime, _startJitTime;

    /// <summary>A profile whose first step is timed from now.</summary>
    public RestoreProfile() : this(Stopwatch.GetTimestamp())
    {
    }

    /// <summary>A profile whose first step is timed from <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/>
    /// timestamp taken on any thread: a hand-off's wait shows as the first step).</summary>
    public RestoreProfile(long startTimestamp)
    {
        _start = _last = startTimestamp;
        SnapshotJit();
    }

    /// <summary>The calling thread's profile, or null when nothing is being profiled.</summary>
    public static RestoreProfile? Current => t_current;

    /// <summary>True until a step has been recorded.</summary>
    public bool IsEmpty => _text.Length == 0;

    /// <summary>Records <paramref name="step"/> on the calling thread's profile, if it has one: the time since its
    /// previous step (or its start).</summary>
    public static void Mark(string step) => t_current?.Add(step);

    /// <summary>Makes this the calling thread's profile until the scope ends (the previous one comes back then). Its
    /// JIT count restarts from this thread's: JIT counts are per thread.</summary>
    public Scope Enter()
    {
        var previous = t_current;
        t_current = this;
        SnapshotJit();
        return new Scope(previous);
    }

    /// <summary>Records <paramref name="step"/>: the time since the previous step (or the start).</summary>
    public void Add(string step) => Append(step, null);

    /// <summary>Records <paramref name="step"/> with the steps of <paramref name="inner"/> (work done for it, maybe
    /// on other threads) in brackets after its time, e.g. "vcpus 3.1 [vcpu0: wake 0.2, cpuid 0.5]".</summary>
    public void AddInner(string step, params RestoreProfile?[] inner)
    {
        var text = new StringBuilder();
        for (int i = 0; i < inner.Length; i++)
        {
            if (inner[i] is not { IsEmpty: false } p) continue;
            if (text.Length > 0) text.Append("; ");
            if (inner.Length > 1) text.Append(i.ToString(CultureInfo.InvariantCulture)).Append(": ");
            text.Append(p._text);
        }
        Append(step, text.Length > 0 ? text.ToString() : null);
    }

    /// <summary>"NAME +ms" from the start to now, the JIT on this thread since <see cref="Enter"/> if any, and the
    /// steps in brackets if any were recorded: e.g. "balloon +4.1 (JIT 2, 3.0 ms) [decode 0.1, msix 0.0, …]".</summary>
    public string Summary(string name)
    {
        var text = new StringBuilder();
        text.Append(name).Append(" +").Append(Ms(Stopwatch.GetElapsedTime(_start).TotalMilliseconds));
        long methods = JitInfo.GetCompiledMethodCount(currentThread: true) - _startJitMethods;
        if (methods != 0) AppendJit(text, methods, JitInfo.GetCompilationTime(currentThread: true) - _startJitTime);
        if (!IsEmpty) text.Append(" [").Append(_text).Append(']');
        return text.ToString();
    }

    public override string ToString() => _text.ToString();

    private void Append(string step, string? inner)
    {
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds;
        _last = now;
        if (_text.Length > 0) _text.Append(", ");
        _text.Append(step).Append(' ').Append(Ms(ms));
        long methods = JitInfo.GetCompiledMethodCount(currentThread: true);
        var time = JitInfo.GetCompilationTime(currentThread: true);
        if (methods != _jitMethods) AppendJit(_text, methods - _jitMethods, time - _jitTime);
        _jitMethods = methods;
        _jitTime = time;
        if (inner is not null) _text.Append(" [").Append(inner).Append(']');
    }

    /// <summary>Milliseconds as "12.3". Formatted by hand, not through an interpolated string: that path's generic
    /// instantiations (AppendFormatted of double, of long) have no ReadyToRun code, so the profile would itself
    /// compile code inside the window it measures.</summary>
    public static string Ms(double milliseconds) => milliseconds.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>" (JIT n, t ms)".</summary>
    public static void AppendJit(StringBuilder text, long methods, TimeSpan time) =>
        text.Append(" (JIT ").Append(methods.ToString(CultureInfo.InvariantCulture)).Append(", ").Append(Ms(time.TotalMilliseconds)).Append(" ms)");

    private void SnapshotJit()
    {
        _startJitMethods = _jitMethods = JitInfo.GetCompiledMethodCount(currentThread: true);
        _startJitTime = _jitTime = JitInfo.GetCompilationTime(currentThread: true);
    }

    /// <summary>Ends <see cref="Enter"/>: the thread's previous profile (or none) is current again.</summary>
    public readonly struct Scope(RestoreProfile? previous) : IDisposable
    {
        public void Dispose() => t_current = previous;
    }
}
