using System.Diagnostics;
using Xenon.Toolstack.XenStore;

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

    /// <summary>Stops the daemon started on this socket, if any (its pid file is beside the socket).</summary>
    public void Dispose()
    {
        if (!OperatingSystem.IsLinux()) return;
        string pidFile = XenStoreLauncher.PidFileFor(SocketPath);
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid)) return;
        try
        {
            using var daemon = Process.GetProcessById(pid);
            // The pid may have been reused: only a xenstored on this socket is ours to stop.
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            if (!cmdline.Contains("__xenstored", StringComparison.Ordinal) || !cmdline.Contains(SocketPath, StringComparison.Ordinal)) return;
            daemon.Kill();
            daemon.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or global::System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
