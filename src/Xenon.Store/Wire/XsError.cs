using System.Text;

namespace Xenon.Store.Wire;

/// <summary>The errors a reply may carry, in the order of xs_wire.h's xsd_errors table.</summary>
public enum XsError
{
    EINVAL,
    EACCES,
    EEXIST,
    EISDIR,
    ENOENT,
    ENOMEM,
    ENOSPC,
    EIO,
    ENOTEMPTY,
    ENOSYS,
    EROFS,
    EBUSY,
    EAGAIN,
    EISCONN,
    E2BIG,
}

/// <summary>Wire text of each <see cref="XsError"/>: the errno's name, sent nul-terminated.</summary>
public static class XsErrors
{
    private static readonly byte[][] Names = BuildNames();

    /// <summary>The error's name followed by a nul byte, exactly as an XS_ERROR payload carries it.</summary>
    public static ReadOnlySpan<byte> Payload(XsError error)
    {
        var index = (int)error;
        // Like C xenstored, an untranslatable error is reported as EINVAL.
        if ((uint)index >= (uint)Names.Length)
        {
            index = 0;
        }

        return Names[index];
    }

    /// <summary>Parses an XS_ERROR payload (with or without its nul) back into an error.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out XsError error)
    {
        var nul = payload.IndexOf((byte)0);
        var text = nul >= 0 ? payload[..nul] : payload;
        for (var i = 0; i < Names.Length; i++)
        {
            if (text.SequenceEqual(Names[i].AsSpan(0, Names[i].Length - 1)))
            {
                error = (XsError)i;
                return true;
            }
        }

        error = XsError.EINVAL;
        return false;
    }

    private static byte[][] BuildNames()
    {
        var values = Enum.GetValues<XsError>();
        var names = new byte[values.Length][];
        foreach (var value in values)
        {
            names[(int)value] = Encoding.ASCII.GetBytes(value.ToString() + "\0");
        }

        return names;
    }
}
