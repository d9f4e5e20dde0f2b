namespace Xenon.Domain.Process;

/// <summary>
/// The files through which a detached domain process and the toolstack meet:
/// <c>$XENON_RUN_DIR/domains/NAME/</c> (default <c>/run/xenon</c>) holding <c>spec.json</c> (what to
/// run), <c>pid</c>, <c>console.sock</c>, <c>control.sock</c> (docs/control-protocol.md), <c>state</c> (<c>running</c> or <c>error: …</c>) and, once the
/// domain has ended for good, <c>outcome</c> (<c>REASON STATUS DETAIL</c>).
/// </summary>
public sealed class DomainRuntimeDirectory
{
    private readonly Lock _lock = new();

    public DomainRuntimeDirectory(string path) => Path = path;

    public static string Root =>
        Environment.GetEnvironmentVariable("XENON_RUN_DIR") is { Length: > 0 } d ? d : "/run/xenon";

    public static DomainRuntimeDirectory ForName(string name) =>
        new(System.IO.Path.Combine(Root, "domains", name));

    /// <summary>The directory; changes when the domain is renamed (<see cref="MoveTo"/>).</summary>
    public string Path { get; private set; }

    /// <summary>The domain's name: the directory's last component.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    public string SpecFile => System.IO.Path.Combine(Path, "spec.json");
    public string PidFile => System.IO.Path.Combine(Path, "pid");
    public string ConsoleSocket => System.IO.Path.Combine(Path, "console.sock");
    public string ControlSocket => System.IO.Path.Combine(Path, "control.sock");
    public string StateFile => System.IO.Path.Combine(Path, "state");
    public string OutcomeFile => System.IO.Path.Combine(Path, "outcome");

    /// <summary>True if a domain process that owns this directory is alive.</summary>
    public bool IsOwnedByLiveProcess()
    {
        // A missing pid file (or process, below) is the common answer, asked first: no exception thrown and caught
        // for it (create asks this of the previous run's directory, and a first throw costs a lot of cold code).
        if (!File.Exists(PidFile)) return false;
        try
        {
            if (!int.TryParse(File.ReadAllText(PidFile).Trim(), out int pid)) return false;
            return IsAlive(pid) && !File.Exists(OutcomeFile);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// xl rename: moves the directory to <paramref name="newName"/> beside it. Sockets bound inside keep working
    /// (they move with the directory); files written later through <see cref="WriteFile"/> land in the new place.
    /// Null on success, else why not.
    /// </summary>
    public string? MoveTo(string newName)
    {
        if (newName.Length == 0 || newName.Contains('/') || newName is "." or "..") return $"invalid domain name \"{newName}\"";
        lock (_lock)
        {
            string target = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? "/", newName);
            if (Directory.Exists(target) || File.Exists(target)) return $"{target} already exists";
            try
            {
                Directory.Move(Path, target);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return e.Message;
            }
            Path = target;
            return null;
        }
    }

    /// <summary>Writes <paramref name="fileName"/> in this directory atomically, even while a rename moves it.</summary>
    public void WriteFile(string fileName, string content)
    {
        lock (_lock) WriteAtomically(System.IO.Path.Combine(Path, fileName), content);
    }

    /// <summary>True if process <paramref name="pid"/> exists and is not a zombie (dead, waiting to be reaped).</summary>
    public static bool IsAlive(int pid)
    {
        if (!Directory.Exists($"/proc/{pid}")) return false;
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Writes a file so readers never see it half-written (write to a temporary, then rename).</summary>
    public static void WriteAtomically(string path, string content)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, content);
        File.Move(tmp, path, overwrite: true);
    }
}
