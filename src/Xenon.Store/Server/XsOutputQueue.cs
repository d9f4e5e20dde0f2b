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

    /// <summary>How many bytes of queued messages one write carries at most.</summary>
    internal const int CoalesceBytes = 64 * 1024;

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

    /// <summary>
    /// Writes queued messages until the queue completes; calls <paramref name="onReplyWritten"/> per reply.
    /// Messages already queued go out together in one write (up to <see cref="CoalesceBytes"/>): a client that
    /// pipelines requests (create sends 16 at a time) gets its replies in one send, not one system call and
    /// one wake-up each.
    /// </summary>
    public async Task DrainAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, Action onReplyWritten, CancellationToken cancel)
    {
        var reader = _channel.Reader;
        var batch = ArrayPool<byte>.Shared.Rent(CoalesceBytes);
        try
        {
            while (await reader.WaitToReadAsync(cancel).ConfigureAwait(false))
            {
                while (reader.TryPeek(out _))
                {
                    var used = 0;
                    var replies = 0;
                    var messages = 0;
                    while (reader.TryPeek(out var next) && (messages == 0 || used + next.Length <= batch.Length))
                    {
                        reader.TryRead(out var item);
                        if (item.Length > batch.Length)
                        {
                            // Cannot happen (a message is at most header + XENSTORE_PAYLOAD_MAX); sent alone if it did.
                            ArrayPool<byte>.Shared.Return(batch);
                            batch = ArrayPool<byte>.Shared.Rent(item.Length);
                        }

                        item.Buffer.AsSpan(0, item.Length).CopyTo(batch.AsSpan(used));
                        used += item.Length;
                        messages++;
                        replies += item.IsReply ? 1 : 0;
                        ArrayPool<byte>.Shared.Return(item.Buffer);
                    }

                    try
                    {
                        await write(batch.AsMemory(0, used), cancel).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Add(ref _messages, -messages);
                        Interlocked.Add(ref _bytes, -used);
                    }

                    for (var i = 0; i < replies; i++)
                    {
                        onReplyWritten();
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
            while (reader.TryRead(out var item))
            {
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }
        }
    }
}
