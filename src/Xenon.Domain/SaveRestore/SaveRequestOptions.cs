using System.Text.Json;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// The members of a control-socket save request beyond path and keep (docs/control-protocol.md):
/// <c>"paused":true</c> (xl save -p: the domain is kept, paused) and <c>"config":"/ABS/spec.json"</c> (xl save's
/// CONFIG-FILE, already turned into a domain spec by the toolstack: stored in the file instead of the domain's own).
/// </summary>
public sealed record SaveRequestOptions(bool LeavePaused, string? ConfigPath)
{
    public static SaveRequestOptions None { get; } = new(false, null);

    /// <summary>The options of <paramref name="line"/> (a JSON object already known to be well formed), or null with
    /// <paramref name="error"/> naming the member at fault.</summary>
    public static SaveRequestOptions? Parse(ReadOnlySpan<byte> line, out string? error)
    {
        error = null;
        bool paused = false;
        string? config = null;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            if (root.TryGetProperty("paused", out var p))
            {
                if (p.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    error = "\"paused\" must be true or false";
                    return null;
                }
                paused = p.GetBoolean();
            }
            if (root.TryGetProperty("config", out var c))
            {
                if (c.ValueKind != JsonValueKind.String || c.GetString() is not { Length: > 0 } path || !Path.IsPathFullyQualified(path))
                {
                    error = "\"config\" must be the absolute path of a domain spec (JSON)";
                    return null;
                }
                config = path;
            }
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return null;
        }
        return new SaveRequestOptions(paused, config);
    }

    /// <summary>The replacement spec's JSON, read from <see cref="ConfigPath"/>; null without one.</summary>
    /// <exception cref="DomainSaveException">The file cannot be read.</exception>
    public string? ReadConfig(string savePath)
    {
        if (ConfigPath is null) return null;
        try
        {
            return File.ReadAllText(ConfigPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DomainSaveException($"cannot save to {savePath}: cannot read the replacement configuration {ConfigPath}: {e.Message}", e);
        }
    }
}
