using System.Globalization;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Domains;

/// <summary>
/// The running domains, read from the runtime directories (the source of truth for names and ids; XenStore
/// mirrors them). A directory counts when its pid file names a live process and it has no outcome yet.
/// </summary>
public sealed class DomainRegistry(ToolstackContext context)
{
    /// <summary>Live domains in domain-id order.</summary>
    public List<LiveDomain> List()
    {
        var result = new List<LiveDomain>();
        if (!System.IO.Directory.Exists(context.DomainsDirectory)) return result;
        foreach (var path in System.IO.Directory.EnumerateDirectories(context.DomainsDirectory))
        {
            if (TryRead(new DomainRuntimeDirectory(path)) is { } d) result.Add(d);
        }
        result.Sort((a, b) => a.DomId.CompareTo(b.DomId));
        return result;
    }

    /// <summary>xl's find_domain: an all-digit argument is a domain id, anything else a name. Null if no live domain matches.</summary>
    public LiveDomain? Find(string nameOrId)
    {
        if (nameOrId.Length == 0 || nameOrId.Contains('/') || nameOrId is "." or "..") return null;
        if (IsDomId(nameOrId, out int id))
        {
            foreach (var d in List())
                if (d.DomId == id) return d;
            return null;
        }
        return TryRead(context.DirectoryFor(nameOrId));
    }

    public static bool IsDomId(string text, out int id) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);

    private static LiveDomain? TryRead(DomainRuntimeDirectory dir)
    {
        if (!dir.IsOwnedByLiveProcess()) return null;
        try
        {
            var spec = DomainSpecJson.Deserialize(File.ReadAllText(dir.SpecFile), dir.SpecFile);
            if (!int.TryParse(File.ReadAllText(dir.PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return null;
            return new LiveDomain(Path.GetFileName(dir.Path), spec.DomId, spec, pid, dir);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // Half-written or unreadable: not a domain we can describe (its process keeps running regardless).
            return null;
        }
    }
}
