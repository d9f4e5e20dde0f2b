using Xenon.Machine.Backend;

namespace Xenon.Domain.Process;

/// <summary>The enum names spec.json uses (the members' own names, as the string-enum converter wrote them).</summary>
internal static class DomainSpecJsonNames
{
    public static string? Lifecycle(LifecycleAction action) => action switch
    {
        LifecycleAction.Destroy => "Destroy",
        LifecycleAction.Restart => "Restart",
        LifecycleAction.RenameRestart => "RenameRestart",
        LifecycleAction.Preserve => "Preserve",
        LifecycleAction.CoredumpDestroy => "CoredumpDestroy",
        LifecycleAction.CoredumpRestart => "CoredumpRestart",
        LifecycleAction.SoftReset => "SoftReset",
        _ => null,
    };

    public static string? Accel(AccelMode mode) => mode switch
    {
        AccelMode.Auto => "Auto",
        AccelMode.Kvm => "Kvm",
        AccelMode.Soft => "Soft",
        _ => null,
    };

    /// <summary>Reads an enum as the string-enum converter did: a member name in any case, or its number.</summary>
    public static bool TryParseLifecycle(string text, out LifecycleAction action)
    {
        for (var a = LifecycleAction.Destroy; a <= LifecycleAction.SoftReset; a++)
        {
            if (string.Equals(Lifecycle(a), text, StringComparison.OrdinalIgnoreCase))
            {
                action = a;
                return true;
            }
        }

        action = default;
        return false;
    }

    public static bool TryParseAccel(string text, out AccelMode mode)
    {
        for (var m = AccelMode.Auto; m <= AccelMode.Soft; m++)
        {
            if (string.Equals(Accel(m), text, StringComparison.OrdinalIgnoreCase))
            {
                mode = m;
                return true;
            }
        }

        mode = default;
        return false;
    }
}
