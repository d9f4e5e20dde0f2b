using System.Net;
using System.Net.Sockets;
using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>Two ends of a loopback TCP connection as migration channels: the sender's and the receiver's.</summary>
internal sealed class MigrationLink : IDisposable
{
    public MigrationLink(Func<Stream, Stream>? wrapSenderOutput = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        var server = listener.Accept();
        ReceiverSocket = server;
        SenderSocket = client;
        var senderStream = new NetworkStream(client, ownsSocket: true);
        Sender = new MigrationChannel(wrapSenderOutput?.Invoke(senderStream) ?? senderStream, senderStream,
            () => { try { client.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { } }, senderStream);
        Receiver = MigrationChannel.ForSocket(server);
    }

    public Socket SenderSocket { get; }
    public Socket ReceiverSocket { get; }
    public MigrationChannel Sender { get; }
    public MigrationChannel Receiver { get; }

    public void Dispose()
    {
        Sender.Dispose();
        Receiver.Dispose();
    }
}

/// <summary>A write pass-through that misbehaves after <paramref name="after"/> bytes: flips one bit, or breaks the connection.</summary>
internal sealed class FaultyStream(Stream inner, long after, bool corrupt, Action? breakConnection = null) : Stream
{
    private long _written;
    private bool _done;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_done && _written + buffer.Length > after)
        {
            _done = true;
            int at = (int)(after - _written);
            if (corrupt)
            {
                var copy = buffer.ToArray();
                copy[at] ^= 0x10;
                inner.Write(copy);
                _written += buffer.Length;
                return;
            }
            inner.Write(buffer[..at]);
            inner.Flush();
            breakConnection?.Invoke();
            throw new IOException("connection reset (test)");
        }
        inner.Write(buffer);
        _written += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A read-only stream that passes reads to <paramref name="inner"/>; test streams override <see cref="Read(Span{byte})"/>
/// to slow, split or watch them.</summary>
internal abstract class ReadPassThrough(Stream inner) : Stream
{
    protected Stream Inner => inner;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A read pass-through that takes at most 4 KiB a read and sleeps before each: a receiver far behind its sender.</summary>
internal sealed class SlowStream(Stream inner) : ReadPassThrough(inner)
{
    public override int Read(Span<byte> buffer)
    {
        Thread.Sleep(5);
        return Inner.Read(buffer[..Math.Min(buffer.Length, 4096)]);
    }
}
