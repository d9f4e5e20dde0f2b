using System.Buffers;
using System.Buffers.Binary;
using Xenon.Devices.State;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci;

/// <summary>
/// Configuration mechanism #1: CONFIG_ADDRESS at 0xcf8 (dword accesses only) and CONFIG_DATA at
/// 0xcfc–0xcff (byte, word or dword at 0xcfc + register offset &amp; 3). The reset control register
/// sits at 0xcf9 inside CONFIG_ADDRESS's range; as on PC chipsets, byte accesses there go to it.
/// </summary>
/// <remarks>Register as one 8-port range at 0xcf8 with <see cref="Register"/>. CONFIG_ADDRESS layout:
/// bit 31 enable, 27:24 extended register (AMD's extension, used by Linux only on such CPUs),
/// 23:16 bus, 15:11 device, 10:8 function, 7:2 register; the other bits read as zero.</remarks>
public sealed class PciConfigIoPorts : IPioDevice, IStatefulDevice
{
    public const ushort BasePort = 0xcf8;
    public const ushort PortCount = 8;

    private const uint EnableBit = 0x8000_0000;
    private const uint AddressMask = 0x8fff_fffc;
    private const int DataOffset = 4;

    private readonly PciRoot _root;
    private readonly IPioDevice? _resetControl;
    private uint _address;

    public PciConfigIoPorts(PciRoot root, IPioDevice? resetControl)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        _resetControl = resetControl;
    }

    /// <summary>The latched CONFIG_ADDRESS value.</summary>
    public uint ConfigAddress => Volatile.Read(ref _address);

    public void Register(PioBus bus) => bus.Register(BasePort, PortCount, this);

    /// <summary>The id of the CONFIG_ADDRESS latch's saved state.</summary>
    public string StateId { get; init; } = "pci-config-address";

    public int SaveState(IBufferWriter<byte> output) => PciConfigAddressStateCodec.Write(output, ConfigAddress);

    /// <summary>Takes the saved latch; bits the register does not implement read as zero, as after a guest write.</summary>
    public void RestoreState(ReadOnlySpan<byte> state) =>
        Volatile.Write(ref _address, PciConfigAddressStateCodec.Read(state) & AddressMask);

    public void Read(ushort offset, Span<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data, Volatile.Read(ref _address));
            return;
        }
        if (offset == 1 && data.Length == 1 && _resetControl is not null)
        {
            _resetControl.Read(0, data);
            return;
        }
        if (offset >= DataOffset && offset < PortCount)
        {
            ReadData(offset - DataOffset, data);
            return;
        }
        // Narrow accesses to CONFIG_ADDRESS do not reach it on real chipsets either.
        data.Fill(0xff);
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        if (offset == 0 && data.Length == 4)
        {
            Volatile.Write(ref _address, BinaryPrimitives.ReadUInt32LittleEndian(data) & AddressMask);
            return;
        }
        if (offset == 1 && data.Length == 1)
        {
            _resetControl?.Write(0, data);
            return;
        }
        if (offset >= DataOffset && offset < PortCount) WriteData(offset - DataOffset, data);
    }

    private void ReadData(int byteInDword, Span<byte> data)
    {
        // An access running past 0xcff (e.g. a dword at 0xcfe) gets only the bytes inside the data port.
        int inside = Math.Min(data.Length, DataOffset - byteInDword);
        data[inside..].Fill(0xff);
        uint address = Volatile.Read(ref _address);
        if ((address & EnableBit) == 0) { data[..inside].Fill(0xff); return; }
        _root.ReadConfig(Decode(address), Register(address) + byteInDword, data[..inside]);
    }

    private void WriteData(int byteInDword, ReadOnlySpan<byte> data)
    {
        int inside = Math.Min(data.Length, DataOffset - byteInDword);
        uint address = Volatile.Read(ref _address);
        if ((address & EnableBit) == 0) return;
        _root.WriteConfig(Decode(address), Register(address) + byteInDword, data[..inside]);
    }

    private static PciAddress Decode(uint address) =>
        new((byte)(address >> 16), (byte)((address >> 11) & 0x1f), (byte)((address >> 8) & 7));

    private static int Register(uint address) => (int)((address & 0xfc) | ((address >> 16) & 0xf00));
}
