using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Server;

/// <summary>
/// One client on the Unix socket: a reader that frames requests and hands them to the store, and
/// a writer that sends replies and events. An oversized length field drops the client, as C
/// xenstored does; so does a client that lets its replies pile up.
/// </summary>
internal sealed class XsSocketSession : IDisposable
{
    private readonly Socket _socket;
    private readonly XenStore _store;
    private readonly CancellationTokenSource _cancel;
    private readonly SemaphoreSlim _outstanding;
    private readonly XsOutputQueue _output;
    private readonly byte[] _payload = new byte[XsHeader.PayloadMax];

    public XsSocketSession(Socket socket, XenStore store, CancellationToken daemonStopping)
    {
        _socket = socket;
        _store = store;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(daemonStopping);
        _outstanding = new SemaphoreSlim(store.Quotas.OutstandingRequests, store.Quotas.OutstandingRequests);
        _output = new XsOutputQueue(store.Quotas.MaxQueuedMessages, store.Quotas.MaxQueuedBytes, Abort);
    }

    public void Abort()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    public async Task RunAsync()
    {
        var conn = _store.Connect(_output);
        var writer = Task.Run(() => _output.DrainAsync(WriteAsync, ReleaseOutstanding, _cancel.Token));
        try
        {
            await ReadLoopAsync(conn).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away or the daemon is stopping: both end the session.
        }
        finally
        {
            _store.Disconnect(conn);
            _output.Complete();
            Abort();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // Unsent messages die with the connection.
            }

            _socket.Dispose();
        }
    }

    private async Task ReadLoopAsync(XsConnection conn)
    {
        await using var stream = new NetworkStream(_socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: XsHeader.Size + XsHeader.PayloadMax, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_cancel.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    var status = XsFramer.TryReadFrame(ref buffer, out var header, out var payload);
                    if (status == XsFrameStatus.PayloadTooLarge)
                    {
                        return;
                    }

                    if (status == XsFrameStatus.NeedMoreData)
                    {
                        break;
                    }

                    // Stop taking requests while too many answers are still unsent (quota_req_outstanding).
                    await _outstanding.WaitAsync(_cancel.Token).ConfigureAwait(false);
                    payload.CopyTo(_payload);
                    _store.Process(conn, header, _payload.AsSpan(0, (int)payload.Length));
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, cancel).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private void ReleaseOutstanding()
    {
        try
        {
            _outstanding.Release();
        }
        catch (SemaphoreFullException)
        {
            // A reply without a request (cannot happen) must not kill the writer.
        }
    }

    public void Dispose()
    {
        _cancel.Dispose();
        _outstanding.Dispose();
    }
}
