namespace Xenon.Toolstack.Config;

/// <summary>What follows when a guest powers off, reboots or crashes (xl's on_poweroff etc.).</summary>
public enum ShutdownAction
{
    Destroy,
    Restart,
    RenameRestart,
    Preserve,
    CoredumpDestroy,
    CoredumpRestart,
    SoftReset,
}

/// <summary>The two spellings of a <see cref="ShutdownAction"/>: xl.cfg's and libxl JSON's.</summary>
public static class ShutdownActionNames
{
    private static readonly string[] ConfigNames =
        ["destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart", "soft-reset"];

    private static readonly string[] JsonNames =
        ["destroy", "restart", "restart_rename", "preserve", "coredump_destroy", "coredump_restart", "soft_reset"];

    /// <summary>Every name accepted in xl.cfg, for error messages and docs.</summary>
    public static IReadOnlyList<string> All => ConfigNames;

    public static bool TryParse(string name, out ShutdownAction action)
    {
        var i = Array.IndexOf(ConfigNames, name);
        action = (ShutdownAction)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>As written in xl.cfg: <c>rename-restart</c>.</summary>
    public static string ToConfigName(this ShutdownAction action) => ConfigNames[(int)action];

    /// <summary>As libxl's JSON spells it: <c>restart_rename</c>.</summary>
    public static string ToJsonName(this ShutdownAction action) => JsonNames[(int)action];
}
