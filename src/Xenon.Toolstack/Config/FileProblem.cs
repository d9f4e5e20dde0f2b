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
    public static string? CheckReadable(string path) => CheckUsable(path, writable: false);

    /// <summary>Null if <paramref name="path"/> is a file (or block device) we can open for reading, and writing if
    /// <paramref name="writable"/>; else why not.</summary>
    public static string? CheckUsable(string path, bool writable)
    {
        if (Directory.Exists(path))
        {
            return "is a directory";
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return Describe(e);
        }
    }
}
