namespace Xenon.Toolstack.Config;

/// <summary>Something accepted but worth telling the user about (printed to stderr by the caller).</summary>
public sealed record ConfigWarning(string Source, int? Line, string Message)
{
    public override string ToString() =>
        Line is int l ? $"{Source}:{l}: warning: {Message}" : $"{Source}: warning: {Message}";
}
