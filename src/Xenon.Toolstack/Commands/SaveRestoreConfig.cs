using Xenon.Domain;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// The CONFIG-FILE of <c>xl save DOMAIN FILE CONFIG</c> and <c>xl restore CONFIG FILE</c>: an xl.cfg that replaces the
/// saved domain's configuration. It may change what the guest does not see built into its memory (disk targets,
/// bridges, on_* actions, the name); RAM size and vCPU counts must stay, since the saved memory and vCPU state are
/// those of the saved machine. A config without <c>uuid</c> keeps the saved domain's.
/// </summary>
internal static class SaveRestoreConfig
{
    /// <summary>Reads <paramref name="path"/>; null (with the error on <paramref name="stderr"/>) if it cannot be read or
    /// does not fit <paramref name="saved"/>. <see cref="ToSpec"/> then builds the spec for a domain id.</summary>
    public static DomainConfig? Load(string path, DomainSpec saved, string command, TextWriter stderr)
    {
        DomainConfig config;
        try
        {
            config = DomainConfigReader.Load(path, []);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine(e.Message);
            return null;
        }
        foreach (var w in config.Warnings) stderr.WriteLine(w.ToString());
        if (Mismatch(ToSpec(config, saved, saved.DomId), saved) is { } why)
        {
            stderr.WriteLine($"{command}: {path}: {why}");
            return null;
        }
        return config;
    }

    public static DomainSpec ToSpec(DomainConfig config, DomainSpec saved, int domId)
    {
        var spec = DomainSpecFactory.FromConfig(config, domId);
        return config.UuidGenerated ? spec with { Uuid = saved.Uuid } : spec;
    }

    /// <summary>Null if <paramref name="replacement"/> builds the machine <paramref name="saved"/> was saved from.</summary>
    public static string? Mismatch(DomainSpec replacement, DomainSpec saved) => Domain.SaveRestore.DomainCheckpoint.Mismatch(replacement, saved);
}
