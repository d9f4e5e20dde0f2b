namespace Xenon.Toolstack.Config;

/// <summary>
/// A configuration that cannot be accepted. The message always names where the problem is
/// (<c>source:line:</c>) and, when one setting is to blame, its key, so a user can go straight to it:
/// <c>foo.cfg:7: memory: expected a number, got "lots"</c>.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string source, int? line, string? key, string reason)
        : base(Format(source, line, key, reason))
    {
        ConfigSource = source;
        Line = line;
        Key = key;
        Reason = reason;
    }

    /// <summary>The file name, or <c>&lt;command line&gt;</c> for overrides.</summary>
    public string ConfigSource { get; }

    public int? Line { get; }

    public string? Key { get; }

    public string Reason { get; }

    internal static ConfigException Syntax(string source, int line, string reason) =>
        new(source, line, null, "syntax error: " + reason);

    internal static ConfigException At(ConfigSetting setting, string reason) =>
        new(setting.Source, setting.Line, setting.Key, reason);

    private static string Format(string source, int? line, string? key, string reason)
    {
        var where = line is int l ? $"{source}:{l}" : source;
        return key is null ? $"{where}: {reason}" : $"{where}: {key}: {reason}";
    }
}
