namespace Xenon.Toolstack.Config;

/// <summary>
/// One <c>KEY = VALUE</c> (or <c>KEY += VALUE</c>) as written. For <c>+=</c> the value already
/// includes what it was appended to, as libxlu does, and <see cref="IsAppend"/> stays true so a
/// numeric read can refuse it.
/// </summary>
public sealed record ConfigSetting(string Key, ConfigValue Value, string Source, int Line, bool IsAppend);
