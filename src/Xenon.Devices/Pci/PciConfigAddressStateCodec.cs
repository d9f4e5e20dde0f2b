using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Pci;

/// <summary>Binary form of the latched CONFIG_ADDRESS of <see cref="PciConfigIoPorts"/>, kind "pci-config-address".
/// Version 1: the register (u32). A vCPU saved between its 0xcf8 write and its 0xcfc access needs it.</summary>
public static class PciConfigAddressStateCodec
{
    public const string Kind = "pci-config-address";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, uint address)
    {
        var w = StateWriter.Begin(output, Kind, Version);
        w.U32(address);
        return w.Written;
    }

    public static uint Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        uint address = r.U32("config address");
        r.End();
        return address;
    }
}
