using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Process;

/// <summary>
/// <c>restore</c> in a domain's runtime directory: written by <c>xenon restore</c> beside <c>spec.json</c>, it tells
/// the domain process to continue the saved domain instead of booting. Two lines: the file's absolute path, then
/// <c>paused</c> or <c>running</c>; a third line <c>nomonitor</c> for xl restore -e.
/// </summary>
public static class RestoreRequestFile
{
    public const string FileName = "restore";

    public static void Write(DomainRuntimeDirectory dir, RestoreRequest request)
    {
        if (request.Path.Contains('\n')) throw new ArgumentException("the saved file's path contains a newline", nameof(request));
        dir.WriteFile(FileName, $"{request.Path}\n{(request.Paused ? "paused" : "running")}\n{(request.NoMonitor ? "nomonitor\n" : "")}");
    }

    /// <summary>The request, or null if the directory has none (a create); a malformed file is an <see cref="InvalidDataException"/>.</summary>
    public static RestoreRequest? TryRead(DomainRuntimeDirectory dir)
    {
        string file = System.IO.Path.Combine(dir.Path, FileName);
        if (!File.Exists(file)) return null;
        var lines = File.ReadAllText(file).Split('\n');
        if (lines.Length < 2 || lines[0].Length == 0 || lines[1] is not ("paused" or "running"))
            throw new InvalidDataException($"{file}: expected the saved file's path and 'paused' or 'running'");
        if (lines.Length > 2 && lines[2] is not ("" or "nomonitor"))
            throw new InvalidDataException($"{file}: the third line may only be 'nomonitor'");
        return new RestoreRequest(lines[0], lines[1] == "paused") { NoMonitor = lines.Length > 2 && lines[2] == "nomonitor" };
    }
}
