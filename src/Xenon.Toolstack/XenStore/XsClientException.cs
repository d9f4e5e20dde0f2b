using Xenon.Store.Wire;

namespace Xenon.Toolstack.XenStore;

/// <summary>xenstored answered a request with XS_ERROR (<see cref="Error"/>), or the connection broke
/// (<see cref="Error"/> is null).</summary>
public sealed class XsClientException : Exception
{
    public XsClientException(XsError? error, string message) : base(message) => Error = error;

    public XsClientException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The xsd_errors entry xenstored sent, or null for a transport failure.</summary>
    public XsError? Error { get; }
}
