namespace Xenon.Toolstack.Config;

/// <summary>
/// The xl.cfg grammar (libxlu's): settings <c>KEY = VALUE</c> or <c>KEY += VALUE</c>, ended by a
/// newline or <c>;</c>; a value is a quoted string, a number or a <c>[ list ]</c> of values
/// (lists may nest, span lines and end with a comma). <c>+=</c> appends to the earlier string
/// or list of the same key. Errors are <see cref="ConfigException"/> with source and line.
/// </summary>
public static class XlConfigParser
{
    /// <summary>The source name used in errors for <c>key=value</c> arguments.</summary>
    public const string CommandLineSource = "<command line>";

    // Deep enough for any real config, shallow enough that hostile input cannot exhaust the stack.
    private const int MaxListDepth = 64;

    public static XlConfig Parse(string text, string source)
    {
        var config = new XlConfig();
        ParseInto(config, text, source, firstLine: 1);
        return config;
    }

    /// <summary>Reads a config file; an unreadable file is a ConfigException naming it.</summary>
    public static XlConfig ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ConfigException(path, null, null, "cannot read configuration file: " + FileProblem.Describe(e));
        }

        return Parse(text, path);
    }

    /// <summary>
    /// Applies command-line overrides (<c>memory=512</c>, <c>'extra="quiet"'</c>) after the file, as
    /// xl does: each argument is parsed as further config text; in errors its source is
    /// <c>&lt;command line&gt;</c> and its line is the argument's position among the overrides.
    /// </summary>
    public static void ApplyOverrides(XlConfig config, IReadOnlyList<string> overrides)
    {
        for (var i = 0; i < overrides.Count; i++)
        {
            ParseInto(config, overrides[i], CommandLineSource, firstLine: i + 1);
        }
    }

    /// <summary>Parses <paramref name="text"/> and appends its settings to <paramref name="config"/>.</summary>
    public static void ParseInto(XlConfig config, string text, string source, int firstLine)
    {
        var lexer = new XlConfigLexer(text, source, firstLine);
        while (true)
        {
            var token = lexer.Next();
            switch (token.Kind)
            {
                case XlTokenKind.End:
                    return;
                case XlTokenKind.Newline or XlTokenKind.Semicolon:
                    continue;
                case XlTokenKind.Identifier:
                    ParseSetting(config, lexer, token);
                    break;
                default:
                    throw ConfigException.Syntax(source, token.Line, $"expected a setting name, got {token.Describe()}");
            }
        }
    }

    private static void ParseSetting(XlConfig config, XlConfigLexer lexer, XlToken key)
    {
        var op = lexer.Next();
        if (op.Kind is not (XlTokenKind.Equals or XlTokenKind.PlusEquals))
        {
            throw ConfigException.Syntax(lexer.Source, op.Line, $"expected '=' after {key.Text}, got {op.Describe()}");
        }

        var value = ParseValue(lexer, lexer.Next(), key.Text, depth: 0);

        var end = lexer.Next();
        if (end.Kind is not (XlTokenKind.Newline or XlTokenKind.Semicolon or XlTokenKind.End))
        {
            throw ConfigException.Syntax(lexer.Source, end.Line,
                $"expected ';' or end of line after the value of {key.Text}, got {end.Describe()}");
        }

        var isAppend = op.Kind == XlTokenKind.PlusEquals;
        if (isAppend && config.Find(key.Text) is { } previous)
        {
            value = Append(previous, value, lexer.Source, key);
        }

        config.Add(new ConfigSetting(key.Text, value, lexer.Source, key.Line, isAppend));
    }

    private static ConfigValue Append(ConfigSetting previous, ConfigValue added, string source, XlToken key)
    {
        if (previous.Value.IsAtom != added.IsAtom)
        {
            throw new ConfigException(source, key.Line, key.Text, "can't add a [list] to a \"string\" or vice versa");
        }

        if (added.IsAtom)
        {
            var text = previous.Value.Text + added.Text;
            return added.Kind == ConfigValueKind.Number
                ? ConfigValue.Number(text, added.Line)
                : ConfigValue.String(text, added.Line);
        }

        var items = new List<ConfigValue>(previous.Value.Items.Count + added.Items.Count);
        items.AddRange(previous.Value.Items);
        items.AddRange(added.Items);
        return ConfigValue.List(items, added.Line);
    }

    private static ConfigValue ParseValue(XlConfigLexer lexer, XlToken token, string key, int depth)
    {
        switch (token.Kind)
        {
            case XlTokenKind.String:
                return ConfigValue.String(token.Text, token.Line);
            case XlTokenKind.Number:
                return ConfigValue.Number(token.Text, token.Line);
            case XlTokenKind.OpenBracket:
                return ParseList(lexer, token, key, depth + 1);
            case XlTokenKind.Identifier:
                throw ConfigException.Syntax(lexer.Source, token.Line,
                    $"value of {key} must be a quoted string, a number or a [list], got {token.Describe()} (quote it: \"{token.Text}\")");
            default:
                throw ConfigException.Syntax(lexer.Source, token.Line,
                    $"expected a value for {key}, got {token.Describe()}");
        }
    }

    private static ConfigValue ParseList(XlConfigLexer lexer, XlToken open, string key, int depth)
    {
        if (depth > MaxListDepth)
        {
            throw ConfigException.Syntax(lexer.Source, open.Line, $"lists nested more than {MaxListDepth} deep");
        }

        var items = new List<ConfigValue>();
        var token = NextSkippingNewlines(lexer);
        if (token.Kind == XlTokenKind.CloseBracket)
        {
            return ConfigValue.List(items, open.Line);
        }

        while (true)
        {
            if (token.Kind == XlTokenKind.End)
            {
                throw Unterminated(lexer, open);
            }

            items.Add(ParseValue(lexer, token, key, depth));

            token = NextSkippingNewlines(lexer);
            if (token.Kind == XlTokenKind.CloseBracket)
            {
                return ConfigValue.List(items, open.Line);
            }

            if (token.Kind == XlTokenKind.End)
            {
                throw Unterminated(lexer, open);
            }

            if (token.Kind != XlTokenKind.Comma)
            {
                throw ConfigException.Syntax(lexer.Source, token.Line,
                    $"expected ',' or ']' in the list for {key}, got {token.Describe()}");
            }

            token = NextSkippingNewlines(lexer);
            if (token.Kind == XlTokenKind.CloseBracket)
            {
                return ConfigValue.List(items, open.Line);
            }
        }
    }

    private static ConfigException Unterminated(XlConfigLexer lexer, XlToken open) =>
        ConfigException.Syntax(lexer.Source, open.Line, "unterminated list (missing ']')");

    private static XlToken NextSkippingNewlines(XlConfigLexer lexer)
    {
        XlToken t;
        do
        {
            t = lexer.Next();
        }
        while (t.Kind == XlTokenKind.Newline);
        return t;
    }
}
