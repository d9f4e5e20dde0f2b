using System.Net.Sockets;
using Xenon.Domain.Process;

namespace Xenon.Domain.Migration;

/// <summary>
/// A domain process started by <c>xenon migrate-receive</c>: its runtime directory holds <c>migrate-in</c>, and the
/// process, instead of booting, listens on <c>migrate.sock</c> there, takes the one connection the toolstack offers the
/// sender's stream on (<see cref="StreamHandoff"/>: the sender's own connection when it can, else a relay), and fills
/// the domain from it (<see cref="MigrationReceiver"/>).
/// </summary>
public static class IncomingMigration
{
    public const string RequestFileName = "migrate-in";
    public const string SocketFileName = "migrate.sock";

    /// <summary>How long the stream's connection may take to arrive, and the sender to answer the confirmation.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static string SocketPath(DomainRuntimeDirectory dir) => System.IO.Path.Combine(dir.Path, SocketFileName);

    /// <summary>What a prepared domain process (<see cref="WriteRequest"/> with prepared) writes on migrate.sock once
    /// its machine is built, parked and warm, before it reads the offer.</summary>
    public const byte PreparedSignal = (byte)'P';

    /// <summary>Marks <paramref name="dir"/> as a domain migrating in (the toolstack, beside spec.json).</summary>
    /// <param name="prepared">Built ahead of the migration (<c>migrate-receive --prepare</c>): the process says when it
    /// is ready (<see cref="PreparedSignal"/>) and then waits for the stream's offer without a time limit (the
    /// toolstack that started it holds the other end; the offer's read ends when that goes).</param>
    public static void WriteRequest(DomainRuntimeDirectory dir, bool prepared = false) =>
        dir.WriteFile(RequestFileName, prepared ? "migrate-receive prepared\n" : "migrate-receive\n");

    /// <summary>What <see cref="DomainRunner.Incoming"/> runs for <paramref name="dir"/>, or null if it holds no request.</summary>
    public static Action<RunningDomain>? For(DomainRuntimeDirectory dir, Action<string> log)
    {
        string requestFile = System.IO.Path.Combine(dir.Path, RequestFileName);
        if (!File.Exists(requestFile)) return null;
        bool prepared;
        try
        {
            prepared = File.ReadAllText(requestFile).Contains("prepared", StringComparison.Ordinal);
        }
        catch (IOException e)
        {
            return _ => throw new IOException($"cannot read {requestFile}: {e.Message}", e);
        }
        // Bound now, before the machine is built, so the toolstack can connect and start relaying at once.
        string path = SocketPath(dir);
        UnixListeningSocket listener;
        try
        {
            listener = UnixListeningSocket.Listen(path, 1, "the migration stream");
        }
        catch (IOException e)
        {
            // Reported as the domain's start error (the state file), like any other.
            return _ => throw new IOException(e.Message, e.InnerException);
        }
        return domain =>
        {
            // Parked and warm before the stream is taken: with a prepared receiver, before the sender even connects.
            MigrationReceiver.Prepare(domain, log);
            MigrationChannel channel;
            try
            {
                var accept = listener.Socket.AcceptAsync();
                if (!accept.Wait(Timeout)) throw new TimeoutException($"no migration stream arrived on {path} within {Timeout.TotalSeconds:0} s");
                var socket = accept.Result;
                if (prepared)
                {
                    socket.Send([PreparedSignal]);
                    socket.ReceiveTimeout = 0; // the sender may come at any time; the toolstack's end going away ends the wait
                }
                else socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
                channel = StreamHandoff.Accept(socket, Timeout, log);
                log($"domain {domain.Spec.Name}: migration stream connected");
            }
            finally
            {
                listener.Dispose();
            }
            using (channel)
            {
                var result = MigrationReceiver.Receive(domain, channel, Timeout, log, prepared: true);
                log($"domain {domain.Spec.Name}: migrated in: {result}");
            }
        };
    }
}
