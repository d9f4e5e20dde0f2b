using System.Buffers;
using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>
/// Binary form of <see cref="VirtioPciFunctionState"/>, kind "virtio-pci". Version 1:
/// configuration space (as "pci-function"); MSI-X (<see cref="MsiXStateCodec"/>); device status (u8), needs reset
/// (bool), driver features (u64), device and driver feature select (u32 each), queue select, config vector (u16
/// each), ISR, config generation (u8 each); queue count (u16), then per queue its MSI-X vector (u16) and
/// <see cref="VirtQueueStateCodec"/>'s fields; device-model state present (bool), then if present its blob
/// (u32 count ≤ 16 MiB, bytes).
/// </summary>
public static class VirtioPciStateCodec
{
    public const string Kind = "virtio-pci";
    public const ushort Version = 1;

    /// <summary>Largest device-model blob accepted (a console's buffered bytes, a block device's in-flight list).</summary>
    public const int MaxDeviceStateBytes = 16 << 20;

    public static int Write(IBufferWriter<byte> output, VirtioPciFunctionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var t = state.Transport;
        if (t.QueueVectors.Length != t.Queues.Length)
            throw new ArgumentException("transport state has a vector count different from its queue count", nameof(state));
        var w = StateWriter.Begin(output, Kind, Version);
        w.Blob(state.Config.Data);
        MsiXStateCodec.Write(ref w, state.MsiX);
        w.U8(t.Status);
        w.Bool(t.NeedsReset);
        w.U64(t.DriverFeatures);
        w.U32(t.DeviceFeatureSelect);
        w.U32(t.DriverFeatureSelect);
        w.U16(t.QueueSelect);
        w.U16(t.ConfigVector);
        w.U8(t.Isr);
        w.U8(t.ConfigGeneration);
        w.U16((ushort)t.Queues.Length);
        for (int q = 0; q < t.Queues.Length; q++)
        {
            w.U16(t.QueueVectors[q]);
            VirtQueueStateCodec.Write(ref w, t.Queues[q]);
        }
        w.Bool(state.Device is not null);
        if (state.Device is not null) w.Blob(state.Device);
        return w.Written;
    }

    public static VirtioPciFunctionState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var config = PciFunctionStateCodec.ReadConfig(ref r);
        var msiX = MsiXStateCodec.Read(ref r);
        byte status = r.U8("device status");
        bool needsReset = r.Bool("needs reset");
        ulong driverFeatures = r.U64("driver features");
        uint deviceFeatureSelect = r.U32("device feature select");
        uint driverFeatureSelect = r.U32("driver feature select");
        ushort queueSelect = r.U16("queue select");
        ushort configVector = r.U16("config vector");
        byte isr = r.U8("isr");
        byte generation = r.U8("config generation");
        int queueCount = r.U16("queue count");
        if (queueCount > VirtioPciLayout.MaxQueues) throw r.Invalid("queue count", $"{queueCount} is more than the {VirtioPciLayout.MaxQueues} a function has");
        var vectors = new ushort[queueCount];
        var queues = new VirtQueueState[queueCount];
        for (int q = 0; q < queueCount; q++)
        {
            vectors[q] = r.U16("queue vector");
            queues[q] = VirtQueueStateCodec.Read(ref r);
        }
        byte[]? device = r.Bool("device state present") ? r.Blob("device state", MaxDeviceStateBytes).ToArray() : null;
        r.End();
        var transport = new VirtioPciState(status, needsReset, driverFeatures, deviceFeatureSelect, driverFeatureSelect,
            queueSelect, configVector, vectors, queues, isr, generation);
        return new VirtioPciFunctionState(config, msiX, transport, device);
    }
}
