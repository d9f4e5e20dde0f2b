using System.Text;
using System.Text.Json;

namespace Xenon.Domain.Process;

/// <summary>
/// The control socket's <c>stats</c> reply (docs/control-protocol.md): what only the domain process knows about a
/// running domain, for <c>xenon top</c> — its state and memory, and each virtio-blk and virtio-net device's
/// counters (xentop's VBD and NET columns). Counters are since the current incarnation was built.
/// </summary>
public static class DomainStatsReply
{
    public static string Format(RunningDomain d)
    {
        var balloon = d.Devices.Balloon;
        ulong balloonMiB = balloon is null ? 0 : balloon.ActualPages / 256;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteString("state", d.Machine.IsPaused ? "paused" : "running");
            w.WriteNumber("vcpus", d.OnlineVcpus().Length);
            w.WriteNumber("memory_mib", d.RamMiB - balloonMiB);
            w.WriteNumber("max_memory_mib", d.RamMiB);
            w.WriteStartArray("vbds");
            for (int i = 0; i < d.Devices.Disks.Count; i++)
            {
                var c = d.Devices.Disks[i].Counters;
                w.WriteStartObject();
                w.WriteString("vdev", i < d.Spec.Disks.Count ? d.Spec.Disks[i].Vdev : $"disk{i}");
                // xentop's VBD_OO: requests that waited for a free backend slot. Requests here never wait for one.
                w.WriteNumber("oo_reqs", 0);
                w.WriteNumber("rd_reqs", c.ReadRequests);
                w.WriteNumber("wr_reqs", c.WriteRequests);
                w.WriteNumber("rd_sect", c.ReadSectors);
                w.WriteNumber("wr_sect", c.WriteSectors);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("vifs");
            for (int i = 0; i < d.Devices.Nics.Count; i++)
            {
                var c = d.Devices.Nics[i].Counters;
                w.WriteStartObject();
                w.WriteNumber("devid", i < d.Spec.Vifs.Count ? d.Spec.Vifs[i].DevId : i);
                // The guest's view, as xentop shows it: tx is what the guest sent.
                w.WriteNumber("tx_bytes", c.TxBytes);
                w.WriteNumber("tx_packets", c.TxPackets);
                w.WriteNumber("tx_errors", c.TxErrors);
                w.WriteNumber("tx_drop", c.TxDropped);
                w.WriteNumber("rx_bytes", c.RxBytes);
                w.WriteNumber("rx_packets", c.RxPackets);
                w.WriteNumber("rx_errors", c.RxErrors);
                w.WriteNumber("rx_drop", c.RxDropped);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
