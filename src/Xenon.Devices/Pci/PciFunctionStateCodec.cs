using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Pci;

/// <summary>
/// Binary form of a plain PCI function (<see cref="PciDevice"/>), kind "pci-function". Version 1: the
/// configuration space (u32 count, 256 or 4096, then the bytes).
/// </summary>
public static class PciFunctionStateCodec
{
    public const string Kind = "pci-function";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, PciConfigSpaceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.Blob(state.Data);
        return w.Written;
    }

    public static PciConfigSpaceState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = ReadConfig(ref r);
        r.End();
        return state;
    }

    /// <summary>The configuration space field, shared with the layouts that embed it.</summary>
    public static PciConfigSpaceState ReadConfig(ref StateReader r)
    {
        var bytes = r.Blob("configuration space", PciConfigSpace.ExtendedSize);
        if (bytes.Length is not (PciConfigSpace.LegacySize or PciConfigSpace.ExtendedSize))
            throw r.Invalid("configuration space", $"{bytes.Length} bytes; a configuration space has 256 or 4096");
        return new PciConfigSpaceState(bytes.ToArray());
    }
}
