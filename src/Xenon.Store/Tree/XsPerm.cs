using System.Globalization;
using Xenon.Store.Wire;

namespace Xenon.Store.Tree;

/// <summary>Access bits of one permission entry (XS_PERM_*).</summary>
[Flags]
public enum XsPermAccess : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Owner = 4,
}

/// <summary>
/// One entry of a node's permission list. The first entry names the owner and gives the access of
/// every domain not listed after it.
/// </summary>
public readonly record struct XsPerm(uint DomId, XsPermAccess Access)
{
    /// <summary>Domain ids are 16-bit in Xen.</summary>
    public const uint MaxDomId = 0xFFFF;

    /// <summary>Wire form: one of n/r/w/b then the decimal domid, e.g. "r5".</summary>
    public override string ToString()
    {
        var letter = (Access & (XsPermAccess.Read | XsPermAccess.Write)) switch
        {
            XsPermAccess.Read => 'r',
            XsPermAccess.Write => 'w',
            XsPermAccess.Read | XsPermAccess.Write => 'b',
            _ => 'n',
        };
        return letter + DomId.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Parses "n0", "r5", "w1", "b7". Anything else is rejected.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out XsPerm perm)
    {
        perm = default;
        if (text.Length < 2)
        {
            return false;
        }

        XsPermAccess access;
        switch (text[0])
        {
            case (byte)'n': access = XsPermAccess.None; break;
            case (byte)'r': access = XsPermAccess.Read; break;
            case (byte)'w': access = XsPermAccess.Write; break;
            case (byte)'b': access = XsPermAccess.Read | XsPermAccess.Write; break;
            default: return false;
        }

        if (!XsPayload.TryParseUInt(text[1..], MaxDomId, out var domId))
        {
            return false;
        }

        perm = new XsPerm(domId, access);
        return true;
    }
}
