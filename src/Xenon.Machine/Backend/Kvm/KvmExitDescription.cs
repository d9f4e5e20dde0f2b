using System.Globalization;
using System.Text;
using Xenon.Kvm.Abi;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>Human-readable text for the KVM exits that end a guest, naming the reason and KVM's own codes.</summary>
public static class KvmExitDescription
{
    public static unsafe string InternalError(in KvmRunInternal e, ulong? rip)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"KVM_EXIT_INTERNAL_ERROR: suberror {e.Suberror} ({SuberrorName(e.Suberror)})");
        if (rip is { } r) sb.Append(CultureInfo.InvariantCulture, $" at rip 0x{r:x}");
        uint n = Math.Min(e.NData, 16u);
        if (n > 0)
        {
            sb.Append(", data");
            for (int i = 0; i < n; i++) sb.Append(CultureInfo.InvariantCulture, $" 0x{e.Data[i]:x}");
        }
        return sb.ToString();
    }

    public static string Unexpected(uint exitReason, ulong hardwareExitReason, ulong? rip)
    {
        string name = Enum.IsDefined((KvmExitReason)exitReason) ? ((KvmExitReason)exitReason).ToString() : "unknown";
        string at = rip is { } r ? $" at rip 0x{r:x}" : "";
        return exitReason == (uint)KvmExitReason.Unknown
            ? $"KVM_EXIT_UNKNOWN: hardware exit reason 0x{hardwareExitReason:x}{at}"
            : $"unhandled KVM exit reason {exitReason} ({name}){at}";
    }

    public static string SuberrorName(uint suberror) => (KvmInternalError)suberror switch
    {
        KvmInternalError.Emulation => "emulation failure",
        KvmInternalError.SimulEx => "exception while delivering an exception",
        KvmInternalError.DeliveryEv => "event delivery failed",
        KvmInternalError.UnexpectedExitReason => "unexpected exit reason",
        _ => "unknown",
    };
}
