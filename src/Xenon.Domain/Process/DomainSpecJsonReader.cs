using System.Text;
using System.Text.Json;
using Xenon.Machine.Backend;

namespace Xenon.Domain.Process;

/// <summary>
/// Reads spec.json by hand, accepting what System.Text.Json's serializer accepted for <see cref="DomainSpec"/>
/// (unknown members skipped, enums by name in any case or by number), so reading it needs no serializer
/// metadata. A missing value-type member takes its type's default, as the serializer gave it (a file from before
/// <c>rng</c> existed reads as no rng, so a restored domain keeps its devices); a missing string or list takes
/// the record's own non-null default where the serializer gave null. Anything malformed is a <see cref="JsonException"/>.
/// </summary>
internal static class DomainSpecJsonReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>Returns null for a JSON <c>null</c> document, as the serializer did.</summary>
    public static DomainSpec? Read(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), Options);
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            EndOfDocument(ref reader);
            return null;
        }

        var spec = ReadSpec(ref reader);
        EndOfDocument(ref reader);
        return spec;
    }

    private static DomainSpec ReadSpec(ref Utf8JsonReader r)
    {
        Expect(ref r, JsonTokenType.StartObject, "$");
        string? name = null, kernel = null;
        ulong? memory = null;
        var spec = new DomainSpec
        {
            Name = "", MemoryMiB = 0, Kernel = "",
            Uuid = Guid.Empty, DomId = 0, Vcpus = 0, OnReboot = default, Rng = false, // the serializer's defaults
        };
        while (NextMember(ref r))
        {
            if (r.ValueTextEquals("name"u8)) name = RequiredString(ref r, "name");
            else if (r.ValueTextEquals("uuid"u8)) spec = spec with { Uuid = GuidValue(ref r, "uuid") };
            else if (r.ValueTextEquals("domid"u8)) spec = spec with { DomId = Int(ref r, "domid") };
            else if (r.ValueTextEquals("memory_mib"u8)) memory = ULong(ref r, "memory_mib");
            else if (r.ValueTextEquals("max_memory_mib"u8)) spec = spec with { MaxMemoryMiB = ULong(ref r, "max_memory_mib") };
            else if (r.ValueTextEquals("vcpus"u8)) spec = spec with { Vcpus = Int(ref r, "vcpus") };
            else if (r.ValueTextEquals("max_vcpus"u8)) spec = spec with { MaxVcpus = Int(ref r, "max_vcpus") };
            else if (r.ValueTextEquals("kernel"u8)) kernel = RequiredString(ref r, "kernel");
            else if (r.ValueTextEquals("ramdisk"u8)) spec = spec with { Ramdisk = NullableString(ref r, "ramdisk") };
            else if (r.ValueTextEquals("cmdline"u8)) spec = spec with { Cmdline = RequiredString(ref r, "cmdline") };
            else if (r.ValueTextEquals("on_power_off"u8)) spec = spec with { OnPowerOff = Lifecycle(ref r, "on_power_off") };
            else if (r.ValueTextEquals("on_reboot"u8)) spec = spec with { OnReboot = Lifecycle(ref r, "on_reboot") };
            else if (r.ValueTextEquals("on_crash"u8)) spec = spec with { OnCrash = Lifecycle(ref r, "on_crash") };
            else if (r.ValueTextEquals("disks"u8)) spec = spec with { Disks = List(ref r, "disks", ReadDisk) };
            else if (r.ValueTextEquals("vifs"u8)) spec = spec with { Vifs = List(ref r, "vifs", ReadVif) };
            else if (r.ValueTextEquals("channels"u8)) spec = spec with { Channels = List(ref r, "channels", ReadChannel) };
            else if (r.ValueTextEquals("rng"u8)) spec = spec with { Rng = Bool(ref r, "rng") };
            else if (r.ValueTextEquals("accel"u8)) spec = spec with { Accel = Accel(ref r, "accel") };
            else Skip(ref r);
        }

        return spec with
        {
            Name = name ?? throw Missing("name", "$"),
            MemoryMiB = memory ?? throw Missing("memory_mib", "$"),
            Kernel = kernel ?? throw Missing("kernel", "$"),
        };
    }

    private static DiskSpec ReadDisk(ref Utf8JsonReader r, string at)
    {
        string? path = null, vdev = null;
        bool readOnly = false, directIo = false;
        while (NextMember(ref r))
        {
            if (r.ValueTextEquals("path"u8)) path = RequiredString(ref r, at + ".path");
            else if (r.ValueTextEquals("vdev"u8)) vdev = RequiredString(ref r, at + ".vdev");
            else if (r.ValueTextEquals("read_only"u8)) readOnly = Bool(ref r, at + ".read_only");
            else if (r.ValueTextEquals("direct_io"u8)) directIo = Bool(ref r, at + ".direct_io");
            else Skip(ref r);
        }

        return new DiskSpec
        {
            Path = path ?? throw Missing("path", at),
            Vdev = vdev ?? throw Missing("vdev", at),
            ReadOnly = readOnly,
            DirectIo = directIo,
        };
    }

    private static VifSpec ReadVif(ref Utf8JsonReader r, string at)
    {
        string? mac = null, ifName = null;
        var vif = new VifSpec { Mac = "", IfName = "" };
        while (NextMember(ref r))
        {
            if (r.ValueTextEquals("dev_id"u8)) vif = vif with { DevId = Int(ref r, at + ".dev_id") };
            else if (r.ValueTextEquals("mac"u8)) mac = RequiredString(ref r, at + ".mac");
            else if (r.ValueTextEquals("if_name"u8)) ifName = RequiredString(ref r, at + ".if_name");
            else if (r.ValueTextEquals("bridge"u8)) vif = vif with { Bridge = RequiredString(ref r, at + ".bridge") };
            else if (r.ValueTextEquals("script"u8)) vif = vif with { Script = NullableString(ref r, at + ".script") };
            else if (r.ValueTextEquals("mtu"u8)) vif = vif with { Mtu = Int(ref r, at + ".mtu") };
            else if (r.ValueTextEquals("ip"u8)) vif = vif with { Ip = NullableString(ref r, at + ".ip") };
            else Skip(ref r);
        }

        return vif with { Mac = mac ?? throw Missing("mac", at), IfName = ifName ?? throw Missing("if_name", at) };
    }

    private static ChannelSpec ReadChannel(ref Utf8JsonReader r, string at)
    {
        string? name = null, path = null;
        while (NextMember(ref r))
        {
            if (r.ValueTextEquals("name"u8)) name = RequiredString(ref r, at + ".name");
            else if (r.ValueTextEquals("path"u8)) path = RequiredString(ref r, at + ".path");
            else Skip(ref r);
        }

        return new ChannelSpec { Name = name ?? throw Missing("name", at), Path = path ?? throw Missing("path", at) };
    }

    private delegate T ItemReader<out T>(ref Utf8JsonReader r, string at);

    private static IReadOnlyList<T> List<T>(ref Utf8JsonReader r, string at, ItemReader<T> read)
    {
        Next(ref r);
        Expect(ref r, JsonTokenType.StartArray, at);
        var items = new List<T>();
        while (true)
        {
            Next(ref r);
            if (r.TokenType == JsonTokenType.EndArray)
            {
                return items;
            }

            var item = $"{at}[{items.Count}]";
            Expect(ref r, JsonTokenType.StartObject, item);
            items.Add(read(ref r, item));
        }
    }

    /// <summary>Moves to the next member name of the current object; false at its end.</summary>
    private static bool NextMember(ref Utf8JsonReader r)
    {
        Next(ref r);
        return r.TokenType == JsonTokenType.PropertyName;
    }

    private static void Next(ref Utf8JsonReader r)
    {
        if (!r.Read())
        {
            throw new JsonException("unexpected end of the document");
        }
    }

    private static void Skip(ref Utf8JsonReader r)
    {
        Next(ref r);
        r.Skip();
    }

    private static void EndOfDocument(ref Utf8JsonReader r)
    {
        if (r.Read())
        {
            throw new JsonException($"unexpected {r.TokenType} after the document");
        }
    }

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type, string at)
    {
        if (r.TokenType != type)
        {
            throw new JsonException($"{at}: expected {type}, found {r.TokenType}");
        }
    }

    private static string RequiredString(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        Expect(ref r, JsonTokenType.String, at);
        return r.GetString()!;
    }

    private static string? NullableString(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        if (r.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref r, JsonTokenType.String, at);
        return r.GetString();
    }

    private static int Int(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        Expect(ref r, JsonTokenType.Number, at);
        return r.TryGetInt32(out var v) ? v : throw new JsonException($"{at}: not a 32-bit integer");
    }

    private static ulong ULong(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        Expect(ref r, JsonTokenType.Number, at);
        return r.TryGetUInt64(out var v) ? v : throw new JsonException($"{at}: not an unsigned 64-bit integer");
    }

    private static bool Bool(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        return r.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new JsonException($"{at}: expected a boolean, found {r.TokenType}"),
        };
    }

    private static Guid GuidValue(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        Expect(ref r, JsonTokenType.String, at);
        return r.TryGetGuid(out var g) ? g : throw new JsonException($"{at}: not a UUID");
    }

    private static LifecycleAction Lifecycle(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var n))
        {
            return (LifecycleAction)n;
        }

        Expect(ref r, JsonTokenType.String, at);
        return DomainSpecJsonNames.TryParseLifecycle(r.GetString()!, out var a) ? a : throw new JsonException($"{at}: unknown action");
    }

    private static AccelMode Accel(ref Utf8JsonReader r, string at)
    {
        Next(ref r);
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var n))
        {
            return (AccelMode)n;
        }

        Expect(ref r, JsonTokenType.String, at);
        return DomainSpecJsonNames.TryParseAccel(r.GetString()!, out var m) ? m : throw new JsonException($"{at}: unknown accel");
    }

    private static JsonException Missing(string member, string at) => new($"{at}: missing required member '{member}'");
}
