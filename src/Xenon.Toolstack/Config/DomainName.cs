namespace Xenon.Toolstack.Config;

/// <summary>
/// What a domain may be called. Names appear in XenStore, in file and socket paths and as
/// arguments to every <c>xenon</c> subcommand, so they are kept to a safe, unambiguous set:
/// 1–64 characters from <c>A-Z a-z 0-9 - _ . + : @</c>, not starting with <c>-</c> or <c>.</c>
/// (an option, a hidden file), not all digits (that would read as a domid), and not
/// <c>Domain-0</c>, which is the host.
/// </summary>
public static class DomainName
{
    public const int MaxLength = 64;

    public const string Host = "Domain-0";

    /// <summary>Null when <paramref name="name"/> is acceptable, else the reason it is not.</summary>
    public static string? Validate(string name)
    {
        if (name.Length == 0)
        {
            return "must not be empty";
        }

        if (name.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters, got {name.Length}";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '+' or ':' or '@'))
            {
                return $"{XlStringEscapes.Quote(name)} contains '{XlStringEscapes.Printable(c)}'; allowed are letters, digits and - _ . + : @";
            }
        }

        if (name[0] is '-' or '.')
        {
            return $"{XlStringEscapes.Quote(name)} must not start with '{name[0]}'";
        }

        var allDigits = true;
        foreach (var c in name)
        {
            allDigits &= char.IsAsciiDigit(c);
        }

        if (allDigits)
        {
            return $"{XlStringEscapes.Quote(name)} is all digits, which would read as a domain id";
        }

        if (string.Equals(name, Host, StringComparison.Ordinal))
        {
            return $"\"{Host}\" is the host's name";
        }

        return null;
    }
}
