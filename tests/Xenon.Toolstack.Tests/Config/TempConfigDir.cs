namespace Xenon.Toolstack.Tests.Config;

/// <summary>A scratch directory holding config files and fake kernel images; deleted on dispose.</summary>
internal sealed class TempConfigDir : IDisposable
{
    public TempConfigDir()
    {
        Path = Directory.CreateTempSubdirectory("xenon-cfg-test-").FullName;
    }

    public string Path { get; }

    public string File(string relative, string content = "")
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
