namespace Xenon.Store.Wire;

/// <summary>Where the store puts the messages for one connection: replies and watch events.</summary>
public interface IXsMessageSink
{
    /// <summary>
    /// Queues one message. Called with the store's lock held: must not block. The payload is only
    /// valid during the call.
    /// </summary>
    void Send(in XsHeader header, ReadOnlySpan<byte> payload);
}
