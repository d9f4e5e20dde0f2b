namespace Xenon.Domain.Process;

/// <summary>
/// The files through which a detached domain process and the toolstack meet:
/// <c>$XENON_RUN_DIR/domains/NAME/</c> (default <c>/run/xenon</c>) holding <c>spec.json</c> (what to
/// run), <c>pid</c>, <c>console.sock</c>, <c>control.sock</c> (docs/control-protocol.md), <c>state</c> (<c>running</c> or <c>error: …</c>) and, once the
/// domain has ended for good, <c>outcome</c> (<c>REASON STATUS DETAIL</c>).
/// </summary>
public sealed class DomainRuntimeDirectory
{
    public DomainRuntimeDirectory(string path) => Path = path;

    public static string Root =>
        Environment.GetEnvironmentVariable("XENON_RUN_DIR") is { Length: > 0 } d ? d : "/run/xenon";

    public static DomainRuntimeDirectory ForName(string name) =>
        new(System.IO.Path.Combine(Root, "domains", name));

    public string Path { get; }
    public string SpecFile => System.IO.Path.Combine(Path, "spec.json");
    public string PidFile => System.IO.Path.Combine(Path, "pid");
    public string ConsoleSocket => System.IO.Path.Combine(Path, "console.sock");
    public string ControlSocket => System.IO.Path.Combine(Path, "control.sock");
    public string StateFile => System.IO.Path.Combine(Path, "state");
    public string OutcomeFile => System.IO.Path.Combine(Path, "outcome");

    /// <summary>True if a domain process that owns this directory is alive.</summary>
    public bool IsOwnedByLiveProcess()
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(PidFile).Trim(), out int pid)) return false;
            return Directory.Exists($"/proc/{pid}") && !File.Exists(OutcomeFile);
        }
        catch (IOException)
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
