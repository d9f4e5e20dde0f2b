using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine.Acpi;

namespace Xenon.Devices.Legacy.CpuHotplug;

/// <summary>
/// Binary form of <see cref="CpuHotplugState"/>, kind "cpu-hotplug". Version 1: GPE0 status and enable (u16 each), the
/// CPU selector (u32), the number of possible vCPUs (u32, 1–255), then one status byte per vCPU (only the present,
/// insert-pending and remove-pending bits may be set).
/// </summary>
public static class CpuHotplugStateCodec
{
    public const string Kind = "cpu-hotplug";
    public const ushort Version = 1;

    /// <summary>xAPIC IDs: at most 255 vCPUs (the MADT's limit).</summary>
    public const int MaxVcpus = 255;

    private const byte StatusBits = CpuHotplugRegisters.Enabled | CpuHotplugRegisters.InsertPending | CpuHotplugRegisters.RemovePending;

    public static int Write(IBufferWriter<byte> output, CpuHotplugState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U16(state.GpeStatus);
        w.U16(state.GpeEnable);
        w.U32(state.Selector);
        w.U32((uint)state.CpuStatus.Length);
        w.Fixed(state.CpuStatus);
        return w.Written;
    }

    public static CpuHotplugState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        ushort gpeStatus = r.U16("gpe status"), gpeEnable = r.U16("gpe enable");
        uint selector = r.U32("selector");
        int count = r.Count("vcpus", 1, MaxVcpus);
        byte[] cpus = r.Fixed("cpu status", count).ToArray();
        foreach (byte b in cpus)
            if ((b & ~StatusBits) != 0) throw r.Invalid("cpu status", $"0x{b:x2} has bits other than present/insert/remove");
        if ((cpus[0] & CpuHotplugRegisters.Enabled) == 0) throw r.Invalid("cpu status", "the boot vCPU is not present");
        r.End();
        return new CpuHotplugState(gpeStatus, gpeEnable, selector, cpus);
    }
}
