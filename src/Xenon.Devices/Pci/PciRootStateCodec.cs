using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Pci;

/// <summary>
/// Binary form of <see cref="PciRoot"/>'s slot map, kind "pci-root". Version 1: a count (u8, 1–32), then per
/// occupied slot in ascending order: slot (u8), vendor id, device id (u16 each), class code (u32). The root has no
/// state of its own beyond what its functions hold; this record proves the restoring domain put the same functions
/// in the same slots, where the guest's drivers expect them.
/// </summary>
public static class PciRootStateCodec
{
    public const string Kind = "pci-root";
    public const ushort Version = 1;

    // A class, not a struct: a List of a struct from this assembly has no ReadyToRun code, and the root's restore
    // (which builds one) compiled 7 methods inside a restore's window.
    public sealed record SlotEntry(byte Slot, ushort VendorId, ushort DeviceId, uint ClassCode);

    public static int Write(IBufferWriter<byte> output, IReadOnlyList<SlotEntry> slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U8((byte)slots.Count);
        foreach (var s in slots)
        {
            w.U8(s.Slot);
            w.U16(s.VendorId);
            w.U16(s.DeviceId);
            w.U32(s.ClassCode);
        }
        return w.Written;
    }

    public static SlotEntry[] Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        int count = r.U8("slot count");
        if (count is 0 or > PciAddress.MaxDevices) throw r.Invalid("slot count", $"{count} is outside 1–{PciAddress.MaxDevices}");
        var slots = new SlotEntry[count];
        for (int i = 0; i < count; i++)
        {
            byte slot = r.U8("slot");
            if (slot >= PciAddress.MaxDevices || (i > 0 && slot <= slots[i - 1].Slot))
                throw r.Invalid("slot", $"slot {slot} is out of range or out of order");
            slots[i] = new SlotEntry(slot, r.U16("vendor id"), r.U16("device id"), r.U32("class code"));
        }
        r.End();
        return slots;
    }
}
