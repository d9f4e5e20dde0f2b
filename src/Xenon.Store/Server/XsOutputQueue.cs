using System.Buffers;
using System.Threading.Channels;
using Xenon.Store.Wire;

namespace Xenon.Store.Server;

/// <summary>
/// Messages waiting to be written to one socket client. Filled under the store's lock (never
/// blocks), drained by the connection's writer. A client that stops reading while events pile up
/// past the limits is cut off instead of growing the daemon's memory.
/// </summary>
internal sealed class XsOutputQueue : IXsMessageSink
{
    private readonly Channel<(byte[] Buffer, int Length, bool IsReply)> _channel =
        Channel.CreateUnbounded<(byte[], int, bool)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly int _maxMessages;
    private readonly int _maxBytes;
    private readonly Action _onOverflow;
    private int _messages;
    private long _bytes;

    public XsOutputQueue(int maxMessages, int maxBytes, Action onOverflow)
    {
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
        _onOverflow = onOverflow;
    }

    public void Send(in XsHeader header, ReadOnlySpan<byte> payload)
    {
        var length = XsHeader.Size + payload.Length;
        if (Interlocked.Increment(ref _messages) > _maxMessages || Interlocked.Add(ref _bytes, length) > _maxBytes)
        {
            Interlocked.Decrement(ref _messages);
            _channel.Writer.TryComplete();
            _onOverflow();
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        header.Write(buffer);
        payload.CopyTo(buffer.AsSpan(XsHeader.Size));
        if (!_channel.Writer.TryWrite((buffer, length, header.Type != XsMessageType.WatchEvent)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Writes queued messages until the queue completes; calls <paramref name="onReplyWritten"/> per reply.</summary>
    public async Task DrainAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, Action onReplyWritten, CancellationToken cancel)
    {
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancel).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    try
                    {
                        await write(item.Buffer.AsMemory(0, item.Length), cancel).ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(item.Buffer);
                        Interlocked.Decrement(ref _messages);
                        Interlocked.Add(ref _bytes, -item.Length);
                    }

                    if (item.IsReply)
                    {
                        onReplyWritten();
                    }
                }
            }
        }
        finally
        {
            while (reader.TryRead(out var item))
            {
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }
        }
    }
}
