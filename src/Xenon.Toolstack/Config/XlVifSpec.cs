using System.Globalization;

namespace Xenon.Toolstack.Config;

/// <summary>One parsed <c>vif</c> entry of an xl.cfg (xl-network-configuration(5)): comma-separated
/// <c>key=value</c> pairs, all optional.</summary>
public sealed record XlVifSpec
{
    /// <summary>xl's default bridge.</summary>
    public const string DefaultBridge = "xenbr0";

    /// <summary>Guest MAC address; null means "generate one in 00:16:3e".</summary>
    public byte[]? Mac { get; init; }

    public string Bridge { get; init; } = DefaultBridge;

    /// <summary><c>script=</c>: run instead of the built-in vif-bridge behaviour, with <c>online</c>/<c>offline</c>.</summary>
    public string? Script { get; init; }

    /// <summary><c>vifname=</c>: the host-side interface name (default <c>vifDOMID.DEVID</c>).</summary>
    public string? VifName { get; init; }

    /// <summary><c>mtu=</c>; null means the bridge's.</summary>
    public int? Mtu { get; init; }

    /// <summary><c>ip=</c>, passed to the script as xl does.</summary>
    public string? Ip { get; init; }

    /// <summary><c>model=</c> as written (only virtio-net exists here; others are accepted with a warning).</summary>
    public string? Model { get; init; }

    /// <summary>Keys xl knows that have no effect here (reported as warnings).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    private static readonly HashSet<string> IgnoredKeys = new(StringComparer.Ordinal)
    {
        "type", "gatewaydev", "rate", "accel", "trusted", "untrusted", "forwarddev", "devid", "backend",
    };

    /// <summary>Parses one vif spec; throws <see cref="FormatException"/> saying which part is wrong.</summary>
    public static XlVifSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = new XlVifSpec();
        var ignored = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rawPart in spec.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0) continue;
            int eq = part.IndexOf('=');
            if (eq <= 0) throw Bad(spec, part, "expected key=value");
            string key = part[..eq].Trim(), value = part[(eq + 1)..].Trim();
            if (!seen.Add(key)) throw Bad(spec, key, "given twice");
            result = key switch
            {
                "mac" => result with { Mac = ParseMac(spec, value) },
                "bridge" => result with { Bridge = InterfaceName(spec, key, value) },
                "vifname" => result with { VifName = InterfaceName(spec, key, value) },
                "script" => result with { Script = value.Length > 0 ? value : throw Bad(spec, key, "must not be empty") },
                "mtu" => result with { Mtu = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int mtu) && mtu is >= 68 and <= 65535
                    ? mtu : throw Bad(spec, key, $"expected a number from 68 to 65535, got \"{value}\"") },
                "ip" => result with { Ip = value },
                "model" => result with { Model = value },
                _ when IgnoredKeys.Contains(key) => Ignore(result, ignored, key),
                _ => throw Bad(spec, key, "unknown key (expected mac, bridge, vifname, script, mtu, ip, model, type, rate, ...)"),
            };
        }
        return result with { Ignored = ignored };
    }

    /// <summary>The MAC as xl writes it: six lower-case hex pairs joined by colons.</summary>
    public static string FormatMac(ReadOnlySpan<byte> mac) =>
        string.Create(17, mac.ToArray(), (chars, m) =>
        {
            for (int i = 0; i < 6; i++)
            {
                if (i > 0) chars[i * 3 - 1] = ':';
                m[i].TryFormat(chars.Slice(i * 3, 2), out _, "x2", CultureInfo.InvariantCulture);
            }
        });

    /// <summary>A random MAC in Xen's OUI 00:16:3e (what xl generates when none is given).</summary>
    public static byte[] RandomXenMac()
    {
        var mac = new byte[] { 0x00, 0x16, 0x3e, 0, 0, 0 };
        System.Security.Cryptography.RandomNumberGenerator.Fill(mac.AsSpan(3));
        // xl clears the top bit of the fourth byte: the upper half of the OUI's space is reserved.
        mac[3] &= 0x7f;
        return mac;
    }

    private static XlVifSpec Ignore(XlVifSpec spec, List<string> ignored, string key)
    {
        ignored.Add(key);
        return spec;
    }

    private static byte[] ParseMac(string spec, string value)
    {
        var parts = value.Split(':');
        var mac = new byte[6];
        if (parts.Length != 6) throw Bad(spec, "mac", $"expected six hex pairs like 00:16:3e:12:34:56, got \"{value}\"");
        for (int i = 0; i < 6; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
                throw Bad(spec, "mac", $"expected six hex pairs like 00:16:3e:12:34:56, got \"{value}\"");
        }
        if ((mac[0] & 1) != 0) throw Bad(spec, "mac", $"{value} is a multicast address (lowest bit of the first byte set)");
        return mac;
    }

    // IFNAMSIZ is 16 with the NUL; the kernel refuses '/', ':' and white space in interface names.
    private static string InterfaceName(string spec, string key, string value)
    {
        if (value.Length is 0 or > 15) throw Bad(spec, key, $"an interface name has 1 to 15 characters, got \"{value}\"");
        foreach (char c in value)
            if (c is '/' or ':' || char.IsWhiteSpace(c) || c > 0x7e || c < 0x21)
                throw Bad(spec, key, $"\"{value}\" is not a valid interface name");
        if (value is "." or "..") throw Bad(spec, key, $"\"{value}\" is not a valid interface name");
        return value;
    }

    private static FormatException Bad(string spec, string part, string reason) => new($"vif spec \"{spec}\": {part}: {reason}");
}
