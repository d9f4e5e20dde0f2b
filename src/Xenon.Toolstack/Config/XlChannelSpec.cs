namespace Xenon.Toolstack.Config;

/// <summary>One parsed <c>channel</c> entry of an xl.cfg (xl.cfg(5), "Channels"): a named byte stream between
/// the guest and a host endpoint. Here it is a named virtio-console port; the guest finds it as
/// /sys/class/virtio-ports/vportNpM/name (udev makes /dev/virtio-ports/NAME), the host end is a Unix socket
/// server at <see cref="Path"/>.</summary>
public sealed record XlChannelSpec
{
    /// <summary><c>name=</c>: what the guest sees (required, printable ASCII, at most 255 bytes).</summary>
    public required string Name { get; init; }

    /// <summary><c>path=</c>: the Unix socket the domain listens on (<c>connection=socket</c>).</summary>
    public required string Path { get; init; }

    /// <summary>Parses one channel spec; throws <see cref="FormatException"/> saying which part is wrong.</summary>
    public static XlChannelSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? name = null, connection = null, path = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rawPart in spec.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0) continue;
            int eq = part.IndexOf('=');
            if (eq <= 0) throw Bad(spec, part, "expected key=value");
            string key = part[..eq].Trim(), value = part[(eq + 1)..].Trim();
            if (!seen.Add(key)) throw Bad(spec, key, "given twice");
            switch (key)
            {
                case "name":
                    name = CheckName(spec, value);
                    break;
                case "connection":
                    connection = value;
                    break;
                case "path":
                    path = value.Length > 0 ? value : throw Bad(spec, key, "must not be empty");
                    break;
                case "backend":
                    if (value is not ("0" or "Domain-0"))
                        throw Bad(spec, key, $"{value}: driver domains are not supported; channels are served by the domain's own process");
                    break;
                default:
                    throw Bad(spec, key, "unknown key (expected name, connection, path, backend)");
            }
        }
        if (name is null) throw new FormatException($"channel \"{spec}\": name= is required (the name the guest sees)");
        switch (connection)
        {
            case null:
                throw new FormatException($"channel \"{spec}\": connection= is required; Xenon supports connection=socket");
            case "socket":
                break;
            case "pty":
                throw new FormatException($"channel \"{spec}\": connection=pty is not supported; use connection=socket, path=/path/to/socket");
            default:
                throw new FormatException($"channel \"{spec}\": connection={connection}: expected socket");
        }
        if (path is null) throw new FormatException($"channel \"{spec}\": connection=socket needs path=/path/to/socket");
        return new XlChannelSpec { Name = name, Path = path };
    }

    private static string CheckName(string spec, string value)
    {
        if (value.Length == 0) throw Bad(spec, "name", "must not be empty");
        if (value.Length > 255) throw Bad(spec, "name", "is longer than 255 characters");
        foreach (char c in value)
            if (c is < (char)0x21 or > (char)0x7e) throw Bad(spec, "name", "must be printable ASCII without spaces");
        return value;
    }

    private static FormatException Bad(string spec, string key, string why) => new($"channel \"{spec}\": {key}: {why}");
}
