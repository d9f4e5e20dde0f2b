namespace Xenon.Toolstack.Config;

/// <summary>
/// A parsed xl.cfg: every setting in the order written (file first, then command-line
/// overrides). Lookups return the last setting of a key, so later settings override earlier.
/// </summary>
public sealed class XlConfig
{
    private readonly List<ConfigSetting> _settings = [];

    /// <summary>Every setting as written, in order, including ones later overridden.</summary>
    public IReadOnlyList<ConfigSetting> Settings => _settings;

    /// <summary>The setting in force for <paramref name="key"/>, or null if it is not set.</summary>
    public ConfigSetting? Find(string key)
    {
        for (var i = _settings.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_settings[i].Key, key, StringComparison.Ordinal))
            {
                return _settings[i];
            }
        }

        return null;
    }

    /// <summary>The keys in force, each once, in the order of their first appearance.</summary>
    public IReadOnlyList<ConfigSetting> Effective()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ConfigSetting>();
        foreach (var s in _settings)
        {
            if (seen.Add(s.Key))
            {
                result.Add(Find(s.Key)!);
            }
        }

        return result;
    }

    /// <summary>The single value (string or number) of a key, or null if unset.</summary>
    public string? GetString(string key)
    {
        var s = Find(key);
        if (s is null)
        {
            return null;
        }

        if (!s.Value.IsAtom)
        {
            throw ConfigException.At(s, "expected a single value, got a list");
        }

        return s.Value.Text;
    }

    /// <summary>
    /// An integer key, read as xl reads it (C strtol with base 0: <c>0x</c> hex, a leading
    /// <c>0</c> octal, otherwise decimal; quoted or not), bounded to [min, max].
    /// </summary>
    public long? GetInteger(string key, long min, long max)
    {
        var s = Find(key);
        if (s is null)
        {
            return null;
        }

        if (!s.Value.IsAtom)
        {
            throw ConfigException.At(s, "expected a number, got a list");
        }

        if (s.IsAppend)
        {
            throw ConfigException.At(s, "can't use += with numbers");
        }

        if (!XlNumber.TryParse(s.Value.Text, out var value))
        {
            throw ConfigException.At(s, $"expected a number, got {XlStringEscapes.Quote(s.Value.Text)}");
        }

        if (value < min || value > max)
        {
            throw ConfigException.At(s, $"must be between {min} and {max}, got {value}");
        }

        return value;
    }

    /// <summary>A key holding a list of single values, or null if unset.</summary>
    public IReadOnlyList<string>? GetStringList(string key)
    {
        var s = Find(key);
        if (s is null)
        {
            return null;
        }

        if (s.Value.IsAtom)
        {
            throw ConfigException.At(s, "expected a list [ ... ], got a single value");
        }

        var items = new string[s.Value.Items.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var item = s.Value.Items[i];
            if (!item.IsAtom)
            {
                throw new ConfigException(s.Source, item.Line, s.Key, $"item {i + 1} is a list; expected a single value");
            }

            items[i] = item.Text;
        }

        return items;
    }

    internal void Add(ConfigSetting setting) => _settings.Add(setting);
}
