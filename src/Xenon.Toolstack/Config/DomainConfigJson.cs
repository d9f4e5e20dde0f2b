using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Xenon.Toolstack.Config;

/// <summary>
/// The parsed domain as JSON, shaped like libxl's <c>libxl_domain_config</c> (what
/// <c>xl create -n</c> prints): <c>c_info</c>, <c>b_info</c> with the keyed union as
/// <c>"type.pvh"</c>/<c>"type.hvm"</c>, then the shutdown actions. Only fields Xenon reads are
/// written; their names and value spellings are libxl's. Key order is fixed.
/// </summary>
public static class DomainConfigJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        IndentSize = 4,
        // The output is for a terminal and for tools, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToJson(DomainConfig config)
    {
        using var stream = new MemoryStream();
        Write(config, stream);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    public static void Write(DomainConfig config, Stream output)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();

        w.WriteStartObject("c_info");
        w.WriteString("type", TypeName(config.Type));
        w.WriteString("name", config.Name);
        w.WriteString("uuid", config.Uuid.ToString("D"));
        if (config.Pool is not null)
        {
            w.WriteString("pool_name", config.Pool);
        }

        w.WriteEndObject();

        w.WriteStartObject("b_info");
        w.WriteNumber("max_vcpus", config.MaxVcpus);
        w.WriteStartArray("avail_vcpus");
        for (var i = 0; i < config.Vcpus; i++)
        {
            w.WriteNumberValue(i);
        }

        w.WriteEndArray();
        w.WriteNumber("max_memkb", config.MaxMemoryKiB);
        w.WriteNumber("target_memkb", config.MemoryKiB);
        if (config.CpuWeight is not null || config.Cap is not null)
        {
            w.WriteStartObject("sched_params");
            if (config.CpuWeight is int weight)
            {
                w.WriteNumber("weight", weight);
            }

            if (config.Cap is int cap)
            {
                w.WriteNumber("cap", cap);
            }

            w.WriteEndObject();
        }

        w.WriteString("kernel", config.Kernel);
        if (config.Cmdline is not null)
        {
            w.WriteString("cmdline", config.Cmdline);
        }

        if (config.Ramdisk is not null)
        {
            w.WriteString("ramdisk", config.Ramdisk);
        }

        w.WriteStartObject("type." + TypeName(config.Type));
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteString("on_poweroff", config.OnPoweroff.ToJsonName());
        w.WriteString("on_reboot", config.OnReboot.ToJsonName());
        w.WriteString("on_crash", config.OnCrash.ToJsonName());

        w.WriteEndObject();
        w.Flush();
    }

    private static string TypeName(DomainType type) => type == DomainType.Hvm ? "hvm" : "pvh";
}
