using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

// INTRODUCE, RELEASE, GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, RESUME, SET_TARGET.
// There are no shared rings here: a domain's mfn and event channel are recorded, not used.
public sealed partial class XenStore
{
    /// <summary>True when the domain has been introduced (domain 0 always is).</summary>
    public bool IsDomainIntroduced(uint domId)
    {
        lock (_lock)
        {
            return _domains.IsIntroduced(domId);
        }
    }

    // Payload: domid, mfn, event channel port.
    private XsError? DoIntroduce(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        Span<Range> args = stackalloc Range[3];
        if (XsPayload.GetStrings(payload, args) < 3)
        {
            return XsError.EINVAL;
        }

        if (!XsPayload.TryParseUInt(payload[args[0]], XsPerm.MaxDomId, out var domId)
            || !XsPayload.TryParseULong(payload[args[1]], out var mfn)
            || !XsPayload.TryParseUInt(payload[args[2]], uint.MaxValue, out var port))
        {
            return XsError.EINVAL;
        }

        var isNew = _domains.Add(domId, mfn, port);
        ReplyOk(conn);
        if (isNew)
        {
            FireSpecial(XsPath.IntroduceDomain);
        }

        return null;
    }

    private XsError? DoRelease(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        if (!TryDomIdArg(payload, out var domId) || domId == 0)
        {
            return XsError.EINVAL;
        }

        if (!_domains.Remove(domId))
        {
            return XsError.ENOENT;
        }

        ReplyOk(conn);
        FireSpecial(XsPath.ReleaseDomain);
        return null;
    }

    private XsError? DoGetDomainPath(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        if (!TryDomIdArg(payload, out var domId))
        {
            return XsError.EINVAL;
        }

        ReplyText(conn, XsPath.DomainPath(domId));
        return null;
    }

    private XsError? DoIsDomainIntroduced(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        if (!TryDomIdArg(payload, out var domId))
        {
            return XsError.EINVAL;
        }

        Reply(conn, _domains.IsIntroduced(domId) ? "T\0"u8 : "F\0"u8);
        return null;
    }

    private XsError? DoResume(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        if (!TryDomIdArg(payload, out var domId))
        {
            return XsError.EINVAL;
        }

        if (!_domains.IsIntroduced(domId))
        {
            return XsError.ENOENT;
        }

        ReplyOk(conn);
        return null;
    }

    // Payload: domid, target domid. The domain then acts with the target's rights.
    private XsError? DoSetTarget(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        Span<Range> args = stackalloc Range[2];
        if (XsPayload.GetStrings(payload, args) < 2
            || !XsPayload.TryParseUInt(payload[args[0]], XsPerm.MaxDomId, out var domId)
            || !XsPayload.TryParseUInt(payload[args[1]], XsPerm.MaxDomId, out var target))
        {
            return XsError.EINVAL;
        }

        if (_domains.Get(domId) is not { } domain || !_domains.IsIntroduced(target))
        {
            return XsError.ENOENT;
        }

        domain.Target = target;
        ReplyOk(conn);
        return null;
    }

    private static bool TryDomIdArg(ReadOnlySpan<byte> payload, out uint domId)
    {
        domId = 0;
        return XsPayload.TryOneArg(payload, out var arg) && XsPayload.TryParseUInt(arg, XsPerm.MaxDomId, out domId);
    }
}
