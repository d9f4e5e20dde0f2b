using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xenon.Domain;
using Xenon.Domain.Migration;
using Xenon.Domain.Process;
using Xenon.Domain.Save;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon migrate-receive [-e] [-d] [--debug] [--listen ADDR:PORT]</c>, xl's receiving end of a migration
/// (docs/migration.md). By default it speaks on stdin and stdout, as xl does when <c>xl migrate</c> runs it over ssh;
/// with <c>--listen</c> it accepts one TCP connection instead (<c>xenon migrate DOMAIN tcp:ADDR:PORT</c>). It sends the
/// Ready banner, reads the stream's header and configuration, registers the domain under its name with a new domain id,
/// and starts a detached domain process that builds the machine without a kernel; from then on it only relays bytes
/// between the sender and that process, which checks and applies the whole stream and answers the sender itself.
/// It exits 0 once the domain runs here, 1 if the migration failed (no domain is left behind then).
/// </summary>
public static class MigrateReceiveCommand
{
    public const string Usage = "Usage: xenon migrate-receive [-e] [-d] [--debug] [--listen ADDR:PORT [--prepare CONFIG]]\n" +
        "  (run by xenon migrate on the destination; speaks on stdin/stdout unless --listen)\n" +
        "  --listen ADDR:PORT  accept one migration on this TCP address (xenon migrate DOMAIN tcp:ADDR:PORT)\n" +
        "  --prepare CONFIG    build the domain from CONFIG before the sender connects (the sent configuration must match)\n" +
        "  -e, -d, --debug     accepted as xl's (the domain process watches the domain; it logs to its own log)";

    private const char DebugOption = '\u0001';
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(300);

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args,
            [new OptionSpec('e'), new OptionSpec('d'), new OptionSpec(DebugOption, "debug"), new OptionSpec('L', "listen", "ADDR:PORT"),
                new OptionSpec('P', "prepare", "CONFIG")],
            "xenon migrate-receive", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 0)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        string? prepareConfig = line.Value('P');
        if (line.Value('L') is not { } listen)
        {
            if (prepareConfig is not null)
            {
                stderr.WriteLine("xenon migrate-receive: --prepare needs --listen (over ssh the sender starts this command when it sends)");
                return CommandSupport.Failure;
            }
            using var input = System.Console.OpenStandardInput();
            using var output = System.Console.OpenStandardOutput();
            return Receive(input, output, () => output.Close(), stderr, context);
        }
        if (!MigrationChannel.TryParseHostPort(listen, out string host, out int port) || !IPAddress.TryParse(host, out var address))
        {
            stderr.WriteLine($"xenon migrate-receive: --listen needs ADDR:PORT with a numeric address, not \"{listen}\"");
            return CommandSupport.Failure;
        }
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(1);
        }
        catch (SocketException e)
        {
            stderr.WriteLine($"xenon migrate-receive: cannot listen on {listen}: {e.Message}");
            return CommandSupport.Failure;
        }
        // Prepared before "listening" is printed: whoever waits for that line may send at once into a built domain.
        using var prepared = prepareConfig is null ? null : MigrateReceivePreparation.Start(prepareConfig, context, stderr, StartTimeout);
        if (prepareConfig is not null && prepared is null) return CommandSupport.Failure;
        stderr.WriteLine($"xenon migrate-receive: listening on {listen}");
        stderr.Flush();
        using var socket = listener.Accept();
        socket.NoDelay = true;
        listener.Close();
        using var stream = new NetworkStream(socket, ownsSocket: false);
        return Receive(stream, stream, () => socket.Shutdown(SocketShutdown.Send), stderr, context, socket, prepared);
    }

    /// <param name="closeOutput">Ends the sender-facing direction (the sender then reads end of stream).</param>
    /// <param name="connection">The sender's connection, when it is a socket the domain process may take over
    /// (<see cref="StreamHandoff"/>); null: relay.</param>
    /// <param name="prepared">A domain built ahead of the stream (<c>--prepare</c>); null: registered and built now.</param>
    internal static int Receive(Stream input, Stream output, Action closeOutput, TextWriter stderr, ToolstackContext context, Socket? connection = null,
        MigrateReceivePreparation? prepared = null)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            MigrationFraming.WriteReady(output);
        }
        catch (IOException e)
        {
            stderr.WriteLine($"xenon migrate-receive: cannot answer the sender: {e.Message}");
            return CommandSupport.Failure;
        }
        var recording = new MigrateRecordingStream(input);
        DomainSpec sent;
        try
        {
            using var reader = new SaveStreamReader(recording);
            reader.ReadHeader();
            if (!reader.TryReadRecord(out var first) || first.Type != SaveRecordType.DomainConfig)
                throw new InvalidDataException("the stream's first record is not the domain configuration");
            sent = DomainSpecJson.Deserialize(Encoding.UTF8.GetString(first.DomainConfigJson), "the sent domain configuration");
        }
        catch (Exception e) when (e is SaveFormatException or InvalidDataException or IOException)
        {
            prepared?.Discard(context);
            return Refuse(output, stderr, $"the migration stream: {e.Message}");
        }

        if (prepared is not null) return ReceivePrepared(prepared, sent, recording, input, output, closeOutput, stderr, context, connection, clock);

        // A new domain id, as Xen gives a migrated domain; the rest of the configuration is the sender's.
        var registration = new DomainLaunch.Registration(sent.Name, id => sent with { DomId = id },
            DomainLaunch.SpecPidAnd(dir => IncomingMigration.WriteRequest(dir)), context.RunRoot);
        // Refused as any failure here is: told to the sender too (an Error frame).
        var started = DomainLaunch.Start(registration, context, stderr,
            (reason, nameInUse) => Refuse(output, stderr, nameInUse ? $"on the receiving host: {reason}" : reason),
            registered: s => stderr.WriteLine($"xenon migrate-receive: receiving domain {s.Name} (id {s.DomId}), {clock.Elapsed.TotalMilliseconds:0} ms after the banner"));
        if (started is null) return CommandSupport.Failure;
        var (spec, dir, logFile) = (started.Spec, started.Dir, started.LogFile);
        using var process = started.Process;
        var domainSocket = ConnectToDomain(dir, process, out string? failure);
        return Serve(spec, dir, process, logFile, domainSocket, failure, recording, input, output, closeOutput, stderr, context, connection, clock);
    }

    private static int ReceivePrepared(MigrateReceivePreparation prepared, DomainSpec sent, MigrateRecordingStream recording, Stream input, Stream output,
        Action closeOutput, TextWriter stderr, ToolstackContext context, Socket? connection, Stopwatch clock)
    {
        var spec = prepared.Spec;
        if (MigrateReceivePreparation.Mismatch(spec, sent) is { } why)
        {
            prepared.Discard(context);
            return Refuse(output, stderr, $"the sent configuration is not the one this receiver was prepared with: {why}");
        }
        stderr.WriteLine($"xenon migrate-receive: receiving domain {spec.Name} (id {spec.DomId}) into the prepared domain, {clock.Elapsed.TotalMilliseconds:0} ms after the banner");
        return Serve(spec, prepared.Dir, prepared.Process, prepared.LogFile, prepared.DomainSocket, null, recording, input, output, closeOutput, stderr, context,
            connection, clock);
    }

    /// <summary>Offers the stream to the domain process on <paramref name="domainSocket"/> (disposed here), relays if it
    /// must, and waits for the domain's state.</summary>
    private static int Serve(DomainSpec spec, DomainRuntimeDirectory dir, Process process, string logFile, Socket? domainSocket, string? failure,
        MigrateRecordingStream recording, Stream input, Stream output, Action closeOutput, TextWriter stderr, ToolstackContext context, Socket? connection,
        Stopwatch clock)
    {
        using (domainSocket)
        {
            if (domainSocket is not null)
            {
                using var toDomain = new NetworkStream(domainSocket, ownsSocket: false);
                try
                {
                    var recorded = recording.Recorded;
                    switch (StreamHandoff.Offer(toDomain, connection, recorded))
                    {
                        case StreamHandoff.Answer.Taken:
                            // It reads and answers on the connection itself; nothing here may read it any more.
                            stderr.WriteLine($"xenon migrate-receive: the domain process took the connection {clock.Elapsed.TotalMilliseconds:0} ms after the banner");
                            break;
                        case StreamHandoff.Answer.Relay:
                            stderr.WriteLine($"xenon migrate-receive: the domain process took the stream {clock.Elapsed.TotalMilliseconds:0} ms after the banner");
                            var (relayed, answered) = MigrateRelay.Run(input, toDomain, toDomain, output,
                                closeB: () => domainSocket.Shutdown(SocketShutdown.Send), closeA: () => { });
                            stderr.WriteLine($"xenon migrate-receive: relayed {relayed + recorded.Length} bytes to the domain process and {answered} back");
                            break;
                        default:
                            failure = "the domain process ended or failed before it took the stream";
                            break;
                    }
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    failure = $"relaying to the domain process: {e.Message}";
                }
            }
        }
        string? state = DomainProcessLauncher.WaitForState(dir, process, StartTimeout);
        if (state != "running")
        {
            // No domain may run here that this command reports as refused (and forgets in XenStore below).
            if (state is null) DomainProcessLauncher.Abandon(process);
            string why = state is null ? failure ?? $"the domain process did not report that the domain runs; log: {logFile}"
                : state.StartsWith("error: ", StringComparison.Ordinal) ? state["error: ".Length..] : state;
            DomainStoreCleanup.Forget(context, spec.DomId);
            // The domain process told the sender already if it got that far; a second Error frame is harmless.
            return Refuse(output, stderr, why, closeOutput);
        }
        try { closeOutput(); } catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
        stderr.WriteLine($"xenon migrate-receive: domain {spec.Name} (id {spec.DomId}) runs here, {clock.Elapsed.TotalMilliseconds:0} ms after the banner (log: {logFile})");
        return 0;
    }

    /// <summary>Connects to the new domain process's migrate.sock, waiting for it to be bound; null (and why) if the process ends first.</summary>
    private static Socket? ConnectToDomain(DomainRuntimeDirectory dir, Process process, out string? failure)
    {
        failure = null;
        string path = IncomingMigration.SocketPath(dir);
        // The process may be slow to start (a loaded host): as long as it lives and has not said it failed, wait for it.
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(path));
                    return socket;
                }
                catch (SocketException)
                {
                    socket.Dispose();
                }
            }
            if (process.HasExited || File.Exists(dir.StateFile))
            {
                failure = "the domain process ended or failed before it took the stream";
                return null;
            }
            Thread.Sleep(5);
        }
        failure = $"the domain process did not open {path} within {StartTimeout.TotalSeconds:0} s";
        return null;
    }

    private static int Refuse(Stream output, TextWriter stderr, string reason, Action? closeOutput = null)
    {
        stderr.WriteLine($"xenon migrate-receive: {reason}");
        try
        {
            MigrationFraming.Write(output, MigrationFrameType.Error, reason);
            closeOutput?.Invoke();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
        return CommandSupport.Failure;
    }
}
