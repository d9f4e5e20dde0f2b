using System.Buffers;
using System.Text;
using System.Text.Json;
using Xenon.Machine.Backend;

namespace Xenon.Domain.Process;

/// <summary>
/// Writes a <see cref="DomainSpec"/> as spec.json by hand: the same bytes System.Text.Json's serializer gave
/// (indented, snake_case names, enums by name, declaration order, nulls written), without building the
/// serializer's metadata, which cost a NativeAOT create most of its domain-id step on first use.
/// </summary>
internal static class DomainSpecJsonWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    public static string Write(DomainSpec spec)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("name"u8, spec.Name);
            w.WriteString("uuid"u8, spec.Uuid);
            w.WriteNumber("domid"u8, spec.DomId);
            w.WriteNumber("memory_mib"u8, spec.MemoryMiB);
            w.WriteNumber("max_memory_mib"u8, spec.MaxMemoryMiB);
            w.WriteNumber("vcpus"u8, spec.Vcpus);
            w.WriteNumber("max_vcpus"u8, spec.MaxVcpus);
            w.WriteString("kernel"u8, spec.Kernel);
            w.WriteString("ramdisk"u8, spec.Ramdisk);
            w.WriteString("cmdline"u8, spec.Cmdline);
            WriteLifecycle(w, "on_power_off"u8, spec.OnPowerOff);
            WriteLifecycle(w, "on_reboot"u8, spec.OnReboot);
            WriteLifecycle(w, "on_crash"u8, spec.OnCrash);
            WriteList(w, "disks"u8, spec.Disks, WriteDisk);
            WriteList(w, "vifs"u8, spec.Vifs, WriteVif);
            WriteList(w, "channels"u8, spec.Channels, WriteChannel);
            w.WriteBoolean("rng"u8, spec.Rng);
            w.WritePropertyName("accel"u8);
            if (DomainSpecJsonNames.Accel(spec.Accel) is { } accel)
            {
                w.WriteStringValue(accel);
            }
            else
            {
                w.WriteNumberValue((int)spec.Accel);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteLifecycle(Utf8JsonWriter w, ReadOnlySpan<byte> name, LifecycleAction action)
    {
        w.WritePropertyName(name);
        // The string-enum converter writes an undefined value as its number; so does this.
        if (DomainSpecJsonNames.Lifecycle(action) is { } text)
        {
            w.WriteStringValue(text);
        }
        else
        {
            w.WriteNumberValue((int)action);
        }
    }

    private static void WriteList<T>(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyList<T>? items, Action<Utf8JsonWriter, T> write)
    {
        if (items is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartArray(name);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                w.WriteNullValue();
            }
            else
            {
                write(w, items[i]);
            }
        }

        w.WriteEndArray();
    }

    private static void WriteDisk(Utf8JsonWriter w, DiskSpec d)
    {
        w.WriteStartObject();
        w.WriteString("path"u8, d.Path);
        w.WriteString("vdev"u8, d.Vdev);
        w.WriteBoolean("read_only"u8, d.ReadOnly);
        w.WriteBoolean("direct_io"u8, d.DirectIo);
        w.WriteEndObject();
    }

    private static void WriteVif(Utf8JsonWriter w, VifSpec v)
    {
        w.WriteStartObject();
        w.WriteNumber("dev_id"u8, v.DevId);
        w.WriteString("mac"u8, v.Mac);
        w.WriteString("if_name"u8, v.IfName);
        w.WriteString("bridge"u8, v.Bridge);
        w.WriteString("script"u8, v.Script);
        w.WriteNumber("mtu"u8, v.Mtu);
        w.WriteString("ip"u8, v.Ip);
        w.WriteEndObject();
    }

    private static void WriteChannel(Utf8JsonWriter w, ChannelSpec c)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, c.Name);
        w.WriteString("path"u8, c.Path);
        w.WriteEndObject();
    }
}
