using System.Collections.Concurrent;

namespace Xenon.Domain.Migration;

/// <summary>
/// Reads the peer's handshake frames on a thread of its own, so that a sender busy writing the stream notices a
/// receiver that refuses it (an Error frame) or goes away: the inbox then aborts the channel, which makes the blocked
/// write fail at once. <see cref="Take"/> hands the frames out in order, with a timeout. Progress frames are not
/// queued: they move <see cref="Acknowledged"/> forward, which <see cref="WaitForProgress"/> waits on.
/// </summary>
internal sealed class FrameInbox : IDisposable
{
    private readonly BlockingCollection<object> _items = new();
    private readonly MigrationChannel _channel;
    private readonly ManualResetEventSlim _ended = new();
    private readonly object _progressGate = new(); // Monitor.Wait/PulseAll need an object, not a Lock
    private long _acknowledged;
    private bool _peerEnded;
    private volatile bool _closing;

    public FrameInbox(MigrationChannel channel)
    {
        _channel = channel;
        new Thread(ReadLoop) { Name = "migration-inbox", IsBackground = true }.Start();
    }

    /// <summary>The peer's reason if it has sent an Error frame (possibly not yet taken).</summary>
    public string? Refusal { get; private set; }

    /// <summary>The furthest stream offset the receiver has reported read and applied (Progress).</summary>
    public long Acknowledged
    {
        get
        {
            lock (_progressGate) return _acknowledged;
        }
    }

    /// <summary>Waits until the receiver reports that it has read and applied the stream up to <paramref name="offset"/>.</summary>
    /// <exception cref="MigrationRefusedException">The peer sent Error.</exception>
    /// <exception cref="TimeoutException">It did not within <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The connection ended or broke first.</exception>
    public void WaitForProgress(long offset, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_progressGate)
        {
            while (_acknowledged < offset)
            {
                if (Refusal is { } refusal) throw new MigrationRefusedException(refusal);
                if (_peerEnded) throw new IOException($"the connection to the peer ended while it was {offset - _acknowledged} bytes behind");
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                    throw new TimeoutException($"the receiver did not catch up within {timeout.TotalSeconds:0} s ({offset - _acknowledged} bytes behind)");
                Monitor.Wait(_progressGate, TimeSpan.FromMilliseconds(left));
            }
        }
    }

    /// <summary>The next frame, which must be <paramref name="expected"/>.</summary>
    /// <exception cref="MigrationRefusedException">The peer sent Error.</exception>
    /// <exception cref="TimeoutException">Nothing came within <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The connection ended or broke.</exception>
    public MigrationFrame Take(MigrationFrameType expected, TimeSpan timeout) => Take(expected, timeout, out _);

    /// <summary>The next frame, which must be <paramref name="expected"/>, and when this process read it off the
    /// connection (<see cref="System.Diagnostics.Stopwatch"/> ticks): before the hand-over to the caller's thread.</summary>
    public MigrationFrame Take(MigrationFrameType expected, TimeSpan timeout, out long receivedAt)
    {
        receivedAt = 0;
        if (!_items.TryTake(out var item, timeout))
            throw new TimeoutException($"no {expected} from the peer within {timeout.TotalSeconds:0} s");
        if (item is Arrival arrival)
        {
            var frame = arrival.Frame;
            receivedAt = arrival.At;
            if (frame.Type == MigrationFrameType.Error) throw new MigrationRefusedException(frame.Text);
            if (frame.Type != expected) throw new MigrationProtocolException($"expected {expected}, the peer sent {frame.Type}");
            return frame;
        }
        _items.Add(item); // an end or a failure is the last item: it stays for every later Take
        if (item is Exception e) throw new IOException($"the connection to the peer failed while waiting for {expected}: {e.Message}", e);
        throw new IOException($"the peer closed the connection before {expected}");
    }

    /// <summary>Waits until the peer's side has ended (an Error frame, the end of the stream, a broken connection), at
    /// most <paramref name="timeout"/>: a write that failed because the receiver hung up after saying why is then
    /// reported with the receiver's reason, not as a broken pipe.</summary>
    public void WaitForEnd(TimeSpan timeout) => _ended.Wait(timeout);

    private void ReadLoop()
    {
        try
        {
            ReadFrames();
        }
        finally
        {
            lock (_progressGate)
            {
                _peerEnded = true;
                Monitor.PulseAll(_progressGate);
            }
            _ended.Set();
        }
    }

    private void ReadFrames()
    {
        try
        {
            while (true)
            {
                var frame = MigrationFraming.Read(_channel.Receive);
                long at = System.Diagnostics.Stopwatch.GetTimestamp();
                if (frame is null)
                {
                    _items.Add("closed");
                    if (!_closing) _channel.Abort();
                    return;
                }
                if (frame.Value.Type == MigrationFrameType.Progress)
                {
                    long offset = MigrationFraming.ProgressOffset(frame.Value);
                    lock (_progressGate)
                    {
                        // Offsets only grow; a smaller one (reordered or repeated) changes nothing.
                        if (offset > _acknowledged) _acknowledged = offset;
                        Monitor.PulseAll(_progressGate);
                    }
                    continue;
                }
                _items.Add(new Arrival(frame.Value, at));
                if (frame.Value.Type == MigrationFrameType.Error)
                {
                    Refusal = frame.Value.Text;
                    if (!_closing) _channel.Abort();
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or MigrationProtocolException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            if (!_closing)
            {
                _items.Add(e);
                _channel.Abort();
            }
        }
    }

    /// <summary>From here on a closing connection is expected (the caller is done, or is about to break it).</summary>
    public void Dispose() => _closing = true;

    private sealed record Arrival(MigrationFrame Frame, long At);
}
