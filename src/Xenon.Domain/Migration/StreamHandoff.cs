using System.Buffers.Binary;
using System.Net.Sockets;
using Xenon.Kvm;

namespace Xenon.Domain.Migration;

/// <summary>
/// How <c>migrate-receive</c> hands the sender's connection to the domain process migrating in, on that process's
/// <c>migrate.sock</c> (docs/migration.md, "Where the work happens"). The toolstack sends an offer: its pid and the
/// connection's descriptor, then the bytes it has already read (the stream's header and configuration). The domain
/// process takes a duplicate of the descriptor (pidfd_getfd) and reads and answers on the connection itself, with no
/// relay hop in between; if it cannot, the toolstack relays as before. Either way the domain process reads the
/// stream from its first byte.
/// </summary>
/// <remarks>
/// Offer: magic <c>XHOF</c>, u16 kind (0: relay only, 1: a socket), u16 reserved 0, i32 pid, i32 descriptor,
/// u32 prefix length (at most <see cref="MaxPrefix"/>), the prefix. Answer: one byte, <c>T</c> (taken: the toolstack
/// no longer touches the connection's data) or <c>R</c> (relay).
/// </remarks>
public static class StreamHandoff
{
    public const int MaxPrefix = 1 << 20;
    private const int OfferSize = 4 + 2 + 2 + 4 + 4 + 4;
    private const ushort KindRelay = 0, KindSocket = 1;
    private const byte Taken = (byte)'T', Relay = (byte)'R';

    private static ReadOnlySpan<byte> Magic => "XHOF"u8;

    /// <summary>What the domain process answered.</summary>
    public enum Answer
    {
        /// <summary>It reads and answers on the connection itself.</summary>
        Taken,

        /// <summary>Relay between the connection and <c>migrate.sock</c>.</summary>
        Relay,

        /// <summary>It closed <c>migrate.sock</c> without answering (it failed or ended).</summary>
        Gone,
    }

    /// <summary>The toolstack's side: offers <paramref name="connection"/> (null: relay only) and sends
    /// <paramref name="prefix"/>; blocks until the domain process answers.</summary>
    public static Answer Offer(Stream toDomain, Socket? connection, ReadOnlySpan<byte> prefix)
    {
        ArgumentNullException.ThrowIfNull(toDomain);
        if (prefix.Length > MaxPrefix) throw new ArgumentException($"the prefix is at most {MaxPrefix} bytes", nameof(prefix));
        Span<byte> offer = stackalloc byte[OfferSize];
        Magic.CopyTo(offer);
        BinaryPrimitives.WriteUInt16LittleEndian(offer[4..], connection is null ? KindRelay : KindSocket);
        BinaryPrimitives.WriteUInt16LittleEndian(offer[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(offer[8..], Environment.ProcessId);
        BinaryPrimitives.WriteInt32LittleEndian(offer[12..], connection is null ? -1 : (int)connection.SafeHandle.DangerousGetHandle());
        BinaryPrimitives.WriteUInt32LittleEndian(offer[16..], (uint)prefix.Length);
        toDomain.Write(offer);
        toDomain.Write(prefix);
        toDomain.Flush();
        Span<byte> answer = stackalloc byte[1];
        if (toDomain.ReadAtLeast(answer, 1, throwOnEndOfStream: false) == 0) return Answer.Gone;
        return answer[0] switch
        {
            Taken => Answer.Taken,
            Relay => Answer.Relay,
            _ => throw new IOException($"the domain process answered the stream offer with 0x{answer[0]:x2}"),
        };
    }

    /// <summary>The domain process's side: reads the offer on <paramref name="local"/> (accepted on migrate.sock; the
    /// returned channel owns it), takes the connection if it can, answers, and returns the channel to receive on.</summary>
    /// <exception cref="IOException">The offer is malformed or truncated.</exception>
    public static MigrationChannel Accept(Socket local, TimeSpan receiveTimeout, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(local);
        var localStream = new NetworkStream(local, ownsSocket: true);
        try
        {
            Span<byte> offer = stackalloc byte[OfferSize];
            if (localStream.ReadAtLeast(offer, OfferSize, throwOnEndOfStream: false) < OfferSize)
                throw new IOException("the stream offer on migrate.sock is truncated");
            if (!offer[..4].SequenceEqual(Magic)) throw new IOException("the stream offer on migrate.sock has the wrong magic");
            ushort kind = BinaryPrimitives.ReadUInt16LittleEndian(offer[4..]);
            int pid = BinaryPrimitives.ReadInt32LittleEndian(offer[8..]);
            int fd = BinaryPrimitives.ReadInt32LittleEndian(offer[12..]);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(offer[16..]);
            if (kind is not (KindRelay or KindSocket) || BinaryPrimitives.ReadUInt16LittleEndian(offer[6..]) != 0)
                throw new IOException($"the stream offer on migrate.sock has kind {kind}, which this build does not know");
            if (length > MaxPrefix) throw new IOException($"the stream offer's prefix of {length} bytes is more than {MaxPrefix}");
            var prefix = new byte[length];
            if (localStream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length)
                throw new IOException("the stream offer's prefix is truncated");

            Socket? direct = null;
            if (kind == KindSocket)
            {
                try
                {
                    direct = ProcessFd.TakeSocket(pid, fd);
                }
                catch (KvmException e)
                {
                    log($"migration: relaying through migrate-receive: cannot take its connection: {e.Message}");
                }
            }
            localStream.WriteByte(direct is null ? Relay : Taken);
            localStream.Flush();
            if (direct is null)
            {
                local.ReceiveTimeout = (int)receiveTimeout.TotalMilliseconds;
                return new MigrationChannel(localStream, new PrefixedStream(prefix, localStream), () => Shutdown(local), localStream);
            }
            // The toolstack keeps its own descriptor until it exits; ours is the one that reads and answers now.
            localStream.Dispose();
            direct.ReceiveTimeout = (int)receiveTimeout.TotalMilliseconds;
            if (direct.ProtocolType == ProtocolType.Tcp) direct.NoDelay = true;
            var stream = new NetworkStream(direct, ownsSocket: true);
            return new MigrationChannel(stream, new PrefixedStream(prefix, stream), () => Shutdown(direct), stream);
        }
        catch
        {
            localStream.Dispose();
            throw;
        }
    }

    private static void Shutdown(Socket socket)
    {
        try { socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }
}
