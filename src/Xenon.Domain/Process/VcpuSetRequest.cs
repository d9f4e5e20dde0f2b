using System.Text;
using System.Text.Json;

namespace Xenon.Domain.Process;

/// <summary>
/// The control socket's vCPU requests (docs/control-protocol.md): <c>{"cmd":"vcpu-set","vcpus":N}</c> makes vCPUs
/// 0 … N-1 online and asks the guest to eject the rest (ACPI CPU hotplug; N from 1 to maxvcpus, else an error and
/// nothing changes), and <c>{"cmd":"vcpus"}</c> answers <c>{"ok":true,"max_vcpus":M,"online":[0,1,…]}</c>: the
/// vCPUs the guest has now (an ejection requested but not yet done still counts as online).
/// </summary>
public static class VcpuSetRequest
{
    public static string Set(RunningDomain? domain, ReadOnlySpan<byte> line)
    {
        int count;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            if (!doc.RootElement.TryGetProperty("vcpus", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out count))
                return Error("vcpu-set needs \"vcpus\": a whole number");
        }
        catch (JsonException e)
        {
            return Error($"malformed JSON: {e.Message}");
        }
        if (domain is null) return Error("the domain is not running");
        return domain.SetOnlineVcpus(count) is { } why ? Error(why) : "{\"ok\":true}";
    }

    public static string Describe(RunningDomain? domain)
    {
        if (domain is null) return Error("the domain is not running");
        var online = domain.OnlineVcpus();
        var reply = new StringBuilder("{\"ok\":true,\"max_vcpus\":").Append(domain.Machine.VcpuCount).Append(",\"online\":[");
        for (int i = 0; i < online.Length; i++)
        {
            if (i > 0) reply.Append(',');
            reply.Append(online[i]);
        }
        return reply.Append("]}").ToString();
    }

    private static string Error(string message) =>
        $"{{\"ok\":false,\"error\":{JsonSerializer.Serialize(message, DomainSpecJsonContext.Default.String)}}}";
}
