using System.Diagnostics;
using System.Text;

namespace Xenon.System.Tests.Nested;

/// <summary>Runs one harness step (a build script, dotnet publish, the scenario run) with its
/// output appended to the harness log, and keeps the output for callers and failure messages.</summary>
public sealed class HarnessProcess
{
    public required int ExitCode { get; init; }
    public required string StdOut { get; init; }
    public required string StdErr { get; init; }
    public required bool TimedOut { get; init; }

    public string Tail(int lines = 30)
    {
        string all = (StdOut + "\n" + StdErr).Replace("\r", "", StringComparison.Ordinal).TrimEnd();
        string[] split = all.Split('\n');
        return string.Join('\n', split.Skip(Math.Max(0, split.Length - lines)));
    }

    public static async Task<HarnessProcess> RunAsync(
        string file, IEnumerable<string> args, string workingDirectory, TextWriter log,
        TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        lock (log)
        {
            log.WriteLine($"$ {file} {string.Join(' ', psi.ArgumentList)}   (cwd {workingDirectory}, {DateTime.UtcNow:HH:mm:ss}Z)");
            log.Flush();
        }
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Append(e.Data, stdout, log, "");
        p.ErrorDataReceived += (_, e) => Append(e.Data, stderr, log, "! ");
        var sw = Stopwatch.StartNew();
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        bool timedOut = false;
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(CancellationToken.None);
        }
        // WaitForExitAsync returns once the redirected streams reached end of file.
        int code = timedOut ? ScenarioResult.TimeoutExitCode : p.ExitCode;
        lock (log)
        {
            log.WriteLine($"= exit {code}{(timedOut ? " (killed: time limit)" : "")} after {sw.Elapsed.TotalSeconds:F1} s");
            log.Flush();
        }
        return new HarnessProcess
        {
            ExitCode = code,
            StdOut = Locked(stdout),
            StdErr = Locked(stderr),
            TimedOut = timedOut,
        };
    }

    private static void Append(string? line, StringBuilder into, TextWriter log, string prefix)
    {
        if (line is null)
        {
            return;
        }
        lock (into)
        {
            into.Append(line).Append('\n');
        }
        lock (log)
        {
            log.WriteLine(prefix + line);
            log.Flush();
        }
    }

    private static string Locked(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
