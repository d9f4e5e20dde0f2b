using Xenon.Store.Wire;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// xenstored's answer to one request of an <see cref="XsBatch"/> sent by <see cref="XsClient.Query"/>: the payload,
/// or the error it answered with (a missing node is ENOENT, not an exception, so a batch of questions costs no throw).
/// </summary>
public readonly struct XsReply
{
    private readonly byte[]? _payload;

    internal XsReply(byte[]? payload, XsError? error)
    {
        _payload = payload;
        Error = error;
    }

    /// <summary>The xsd_errors entry xenstored answered with, or null on success.</summary>
    public XsError? Error { get; }

    /// <summary>READ's value; null when the node does not exist (or the request failed otherwise).</summary>
    public string? Text => Error is null && _payload is not null ? XsPayload.ToText(_payload) : null;

    /// <summary>DIRECTORY's children; empty when the node does not exist.</summary>
    public IReadOnlyList<string> Names => Error is null && _payload is not null ? XsClient.SplitStrings(_payload) : [];

    /// <summary>IS_DOMAIN_INTRODUCED's "T".</summary>
    public bool IsTrue => Error is null && _payload is { Length: >= 1 } p && p[0] == (byte)'T';
}
