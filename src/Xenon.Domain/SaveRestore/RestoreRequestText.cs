namespace Xenon.Domain.SaveRestore;

/// <summary>
/// A <see cref="RestoreRequest"/> as text: the saved file's absolute path, then <c>paused</c> or <c>running</c>, then
/// optionally <c>nomonitor</c> (xl restore -e), one per line. The toolstack writes it into a new domain's runtime
/// directory (<c>restore</c>) or sends it to a prepared domain process (<see cref="PreparedRestore"/>).
/// </summary>
public static class RestoreRequestText
{
    /// <summary>More than any path the kernel takes (PATH_MAX) and the two words after it.</summary>
    public const int MaxLength = 4096 + 32;

    public static string Format(RestoreRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Path.Contains('\n')) throw new ArgumentException("the saved file's path contains a newline", nameof(request));
        return $"{request.Path}\n{(request.Paused ? "paused" : "running")}\n{(request.NoMonitor ? "nomonitor\n" : "")}";
    }

    /// <param name="source">How the error names the text ("DIR/restore", "the request on restore.sock").</param>
    /// <exception cref="InvalidDataException">The text is not a request; the message names <paramref name="source"/> and what was expected.</exception>
    public static RestoreRequest Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength) throw new InvalidDataException($"{source}: {text.Length} characters, at most {MaxLength} expected");
        var lines = text.Split('\n');
        if (lines.Length < 2 || lines[0].Length == 0 || lines[1] is not ("paused" or "running"))
            throw new InvalidDataException($"{source}: expected the saved file's path and 'paused' or 'running'");
        if (!System.IO.Path.IsPathFullyQualified(lines[0]))
            throw new InvalidDataException($"{source}: the saved file's path \"{lines[0]}\" is not absolute");
        if (lines.Length > 2 && lines[2] is not ("" or "nomonitor"))
            throw new InvalidDataException($"{source}: the third line may only be 'nomonitor'");
        for (int i = 3; i < lines.Length; i++)
            if (lines[i].Length != 0) throw new InvalidDataException($"{source}: nothing may follow the third line, found \"{lines[i]}\"");
        return new RestoreRequest(lines[0], lines[1] == "paused") { NoMonitor = lines.Length > 2 && lines[2] == "nomonitor" };
    }
}
