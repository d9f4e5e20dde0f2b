namespace Xenon.Toolstack.Config;

public enum ConfigValueKind
{
    /// <summary>A quoted string, escapes already decoded.</summary>
    String,

    /// <summary>An unquoted number, kept as written (xl interprets it only when a key is read).</summary>
    Number,

    /// <summary>A bracketed list of values.</summary>
    List,
}

/// <summary>One value of an xl.cfg setting: an atom (string or number) or a list.</summary>
public sealed class ConfigValue
{
    private ConfigValue(ConfigValueKind kind, string text, IReadOnlyList<ConfigValue> items, int line)
    {
        Kind = kind;
        Text = text;
        Items = items;
        Line = line;
    }

    public ConfigValueKind Kind { get; }

    /// <summary>The atom's text; empty for a list.</summary>
    public string Text { get; }

    /// <summary>The list's items; empty for an atom.</summary>
    public IReadOnlyList<ConfigValue> Items { get; }

    /// <summary>Line where the value starts.</summary>
    public int Line { get; }

    public bool IsAtom => Kind != ConfigValueKind.List;

    public static ConfigValue String(string text, int line) => new(ConfigValueKind.String, text, [], line);

    public static ConfigValue Number(string text, int line) => new(ConfigValueKind.Number, text, [], line);

    public static ConfigValue List(IReadOnlyList<ConfigValue> items, int line) => new(ConfigValueKind.List, "", items, line);

    /// <summary>The value written back in xl.cfg syntax (strings re-quoted and escaped).</summary>
    public override string ToString() => Kind switch
    {
        ConfigValueKind.String => XlStringEscapes.Quote(Text),
        ConfigValueKind.Number => Text,
        _ => "[" + string.Join(", ", Items) + "]",
    };
}
