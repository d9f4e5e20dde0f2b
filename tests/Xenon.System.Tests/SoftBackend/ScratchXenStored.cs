using System.Diagnostics;

namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// A xenstored socket inside a test's scratch directory, and the stopping of the daemon that <c>xenon create</c>
/// starts on it. Without it a test's create starts the daemon on the system socket, where it outlives the test run
/// (as Xen's xenstored outlives the xl command that needed it).
/// </summary>
internal sealed class ScratchXenStored(string scratch) : IDisposable
{
    public string SocketPath { get; } = Path.Combine(scratch, "xenstored", "socket");

    /// <summary>Points <paramref name="env"/> (a xenon command's environment) at this socket.</summary>
    public Dictionary<string, string> Use(Dictionary<string, string> env)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        env["XENSTORED_PATH"] = SocketPath;
        return env;
    }

    /// <summary>Stops every daemon started on this socket. Found by its command line, not its pid file: a create
    /// that fails early may exit before the daemon it started has written that file.</summary>
    public void Dispose()
    {
        if (!OperatingSystem.IsLinux()) return;
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (int pid in DaemonsOnSocket()) Stop(pid);
            // A second look for a daemon whose `sh -c exec` had not yet become xenon at the first.
            if (pass == 0) Thread.Sleep(200);
        }
    }

    private List<int> DaemonsOnSocket()
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("__xenstored", StringComparison.Ordinal) && cmdline.Contains(SocketPath, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked, or not ours to read.
            }
        }
        return found;
    }

    private static void Stop(int pid)
    {
        try
        {
            using var daemon = Process.GetProcessById(pid);
            daemon.Kill();
            daemon.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or global::System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
