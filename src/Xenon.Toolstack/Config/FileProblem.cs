namespace Xenon.Toolstack.Config;

/// <summary>Short, errno-like descriptions of why a file could not be used.</summary>
internal static class FileProblem
{
    public static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };

    /// <summary>Null if <paramref name="path"/> is a regular file we can open for reading, else why not.</summary>
    public static string? CheckReadable(string path)
    {
        if (Directory.Exists(path))
        {
            return "is a directory";
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return Describe(e);
        }
    }
}
