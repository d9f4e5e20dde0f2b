using System.Diagnostics;
using System.Text;

namespace Xenon.System.Tests.SoftBackend;

/// <summary>The xenon CLI of this build (xenon.dll beside the tests, run with dotnet) as a child process: its stdin
/// is the guest's console input (with -c), its stdout the console output, its stderr xenon's own log lines.</summary>
internal sealed class XenonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task _outPump = Task.CompletedTask, _errPump = Task.CompletedTask;

    private XenonProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Where xenon.dll is (the test project references Xenon.Cli), or null.</summary>
    public static string? Cli => File.Exists(Path.Combine(AppContext.BaseDirectory, "xenon.dll"))
        ? Path.Combine(AppContext.BaseDirectory, "xenon.dll")
        : null;

    public static XenonProcess Start(IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Cli ?? throw new FileNotFoundException("xenon.dll is not beside the tests"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = new Process { StartInfo = psi };
        var x = new XenonProcess(p);
        p.Start();
        // Console output is read as raw characters (a shell prompt has no newline).
        x._outPump = x.PumpAsync(p.StandardOutput, x._out);
        x._errPump = x.PumpAsync(p.StandardError, x._err);
        return x;
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public string Output
    {
        get { lock (_out) return _out.ToString(); }
    }

    public string Errors
    {
        get { lock (_err) return _err.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until the console output contains <paramref name="text"/> at or after <paramref name="from"/>;
    /// returns the index just past it, or -1 on timeout or if xenon exited first.</summary>
    public int WaitFor(string text, TimeSpan timeout, int from = 0)
    {
        var deadline = _clock.Elapsed + timeout;
        while (true)
        {
            string o = Output;
            int i = from <= o.Length ? o.IndexOf(text, from, StringComparison.Ordinal) : -1;
            if (i >= 0) return i + text.Length;
            if (_process.HasExited && Output.Length == o.Length) return -1;
            if (_clock.Elapsed > deadline) return -1;
            Thread.Sleep(50);
        }
    }

    /// <summary>Types <paramref name="line"/> and Enter at the guest's console.</summary>
    public void Type(string line)
    {
        _process.StandardInput.Write(line + "\r");
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for xenon to exit and for everything it wrote to be read; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        // The process is gone, but the pumps may not have copied its last lines yet.
        Task.WaitAll([_outPump, _errPump], TimeSpan.FromSeconds(10));
        return true;
    }

    /// <summary>The tail of both streams, for failure messages.</summary>
    public string Describe(int chars = 3000)
    {
        string o = Output, e = Errors;
        return $"after {Elapsed.TotalSeconds:F1} s; console tail:\n{o[Math.Max(0, o.Length - chars)..]}\nxenon stderr:\n{e[Math.Max(0, e.Length - chars)..]}";
    }

    private async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            lock (into) into.Append(buffer, 0, n);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
