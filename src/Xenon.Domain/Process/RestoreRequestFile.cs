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

    public static void Write(DomainRuntimeDirectory dir, RestoreRequest request) => dir.WriteFile(FileName, RestoreRequestText.Format(request));

    /// <summary>The request, or null if the directory has none (a create); a malformed file is an <see cref="InvalidDataException"/>.</summary>
    public static RestoreRequest? TryRead(DomainRuntimeDirectory dir)
    {
        string file = System.IO.Path.Combine(dir.Path, FileName);
        if (!File.Exists(file)) return null;
        return RestoreRequestText.Parse(File.ReadAllText(file), file);
    }
}
