using System.Net.Sockets;
using Xenon.Domain.Console;
using Xenon.Domain.Process;
using Xenon.Kvm.Terminal;

namespace Xenon.Toolstack.Console;

/// <summary>
/// Attaches this terminal to a domain's console socket (raw mode). Ctrl-] detaches and leaves the
/// domain running; when the domain ends, the attachment ends with the domain's exit status.
/// </summary>
public static class ConsoleClient
{
    /// <summary>Returns null when the user detached; otherwise the domain's exit status.</summary>
    public static int? Attach(DomainRuntimeDirectory dir, TextWriter stderr)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(dir.ConsoleSocket));
        using var raw = RawTerminalMode.Enter(0);
        using var stdin = global::System.Console.OpenStandardInput();
        using var stdout = global::System.Console.OpenStandardOutput();
        var detached = new ManualResetEventSlim(false);
        var input = new Thread(() =>
        {
            var buf = new byte[256];
            try
            {
                while (true)
                {
                    int n = stdin.Read(buf, 0, buf.Length);
                    if (n <= 0) return; // our input ended (e.g. a pipe): keep showing output until the domain ends
                    int esc = Array.IndexOf(buf, ConsoleInputPump.EscapeByte, 0, n);
                    socket.Send(buf.AsSpan(0, esc < 0 ? n : esc));
                    if (esc >= 0)
                    {
                        detached.Set();
                        socket.Shutdown(SocketShutdown.Both);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException) { }
        }) { Name = "console-stdin", IsBackground = true };
        input.Start();

        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = socket.Receive(buffer);
                if (n <= 0) break;
                stdout.Write(buffer, 0, n);
                stdout.Flush();
            }
        }
        catch (SocketException) { }
        raw.Dispose();
        if (detached.IsSet) return null;
        return WaitForOutcome(dir, TimeSpan.FromSeconds(10), stderr);
    }

    /// <summary>The exit status the domain process recorded (docs/cli.md), or 1 if it recorded none.</summary>
    public static int WaitForOutcome(DomainRuntimeDirectory dir, TimeSpan timeout, TextWriter stderr)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(dir.OutcomeFile))
        {
            if (DateTime.UtcNow > deadline)
            {
                stderr.WriteLine($"xenon: the domain process left no outcome in {dir.OutcomeFile}");
                return 1;
            }
            Thread.Sleep(20);
        }
        var parts = File.ReadAllText(dir.OutcomeFile).Trim().Split(' ', 3);
        if (parts.Length >= 2 && int.TryParse(parts[1], out int status))
        {
            if (status != 0) stderr.WriteLine($"xenon: domain ended: {parts[0]}{(parts.Length > 2 ? $" ({parts[2]})" : "")}");
            return status;
        }
        stderr.WriteLine($"xenon: unreadable outcome in {dir.OutcomeFile}");
        return 1;
    }
}
