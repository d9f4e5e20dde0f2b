namespace Xenon.Domain.Save;

/// <summary>
/// Writes a file so that it either appears whole or not at all: the bytes go to NAME.tmp, <see cref="Commit"/> flushes
/// them to disk and renames the file over NAME (rename(2) is atomic within a file system), and disposing without a
/// commit deletes NAME.tmp. A save that fails midway therefore never leaves a half-written state file behind, and an
/// older NAME survives until the new one is complete.
/// </summary>
/// <remarks>One writer per NAME at a time. A NAME.tmp left by a killed process is overwritten by the next writer.</remarks>
public sealed class AtomicFileWriter : IDisposable
{
    public const string TempSuffix = ".tmp";

    private readonly FileStream _stream;
    private bool _committed;
    private bool _disposed;

    private AtomicFileWriter(string path, string tempPath, FileStream stream)
    {
        Path = path;
        TempPath = tempPath;
        _stream = stream;
    }

    /// <summary>The file's final name.</summary>
    public string Path { get; }

    /// <summary>Where the bytes go until <see cref="Commit"/>.</summary>
    public string TempPath { get; }

    /// <summary>The stream to write the content to (do not dispose it; <see cref="Commit"/> and <see cref="Dispose"/> do).</summary>
    public Stream Stream => _stream;

    public static AtomicFileWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string temp = full + TempSuffix;
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        return new AtomicFileWriter(full, temp, stream);
    }

    /// <summary>Writes a whole file with <paramref name="write"/>; on any exception the temporary file is removed and the exception propagates.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var file = Create(path);
        write(file.Stream);
        file.Commit();
    }

    /// <summary>Flushes the content to disk and renames it to <see cref="Path"/>.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException($"{Path} is already committed");
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(TempPath, Path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_committed) return;
        try
        {
            // Closing flushes what is buffered, which fails again on a full disk: the file goes regardless.
            _stream.Dispose();
        }
        catch (IOException)
        {
        }
        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
            // Best effort: the failure that brought us here is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
