using System.Buffers.Binary;

namespace Xenon.Devices.Virtio.Pci;

public sealed partial class VirtioPciDevice
{
    // Body of struct virtio_pci_cap after cap_vndr, cap_next, cap_len: cfg_type, bar, id, padding[2], offset le32, length le32.
    private const int CapBodyLength = 13;
    private const int CapTypeOffset = 3;
    private const int CapBarOffset = 4;
    private const int CapOffsetOffset = 8;
    private const int CapLengthOffset = 12;
    // notify_off_multiplier (notify cap) and pci_cfg_data (PCI cfg access cap) both follow at 16.
    private const int CapExtraOffset = 16;

    private int _pciCfgCap;

    /// <summary>Offset in configuration space of the capability with <paramref name="cfgType"/>.</summary>
    public int CapabilityOffset(byte cfgType) => cfgType switch
    {
        VirtioPciCapType.PciCfg => _pciCfgCap,
        _ => _capOffsets[cfgType],
    };

    private readonly int[] _capOffsets = new int[VirtioPciCapType.PciCfg];

    private void AddCapabilities(int notifyQueues)
    {
        _capOffsets[VirtioPciCapType.CommonCfg] = AddVirtioCap(VirtioPciCapType.CommonCfg, VirtioPciLayout.CommonOffset, VirtioPciLayout.CommonLength);
        _capOffsets[VirtioPciCapType.IsrCfg] = AddVirtioCap(VirtioPciCapType.IsrCfg, VirtioPciLayout.IsrOffset, VirtioPciLayout.IsrLength);
        _capOffsets[VirtioPciCapType.DeviceCfg] = AddVirtioCap(VirtioPciCapType.DeviceCfg, VirtioPciLayout.DeviceOffset, VirtioPciLayout.DeviceLength);
        _capOffsets[VirtioPciCapType.NotifyCfg] = AddVirtioCap(VirtioPciCapType.NotifyCfg, VirtioPciLayout.NotifyOffset,
            (uint)notifyQueues * VirtioPciLayout.NotifyOffMultiplier, VirtioPciLayout.NotifyOffMultiplier);

        // The PCI configuration access capability: bar, offset and length are the driver's to write;
        // pci_cfg_data is a window onto that place in the BAR.
        _pciCfgCap = AddVirtioCap(VirtioPciCapType.PciCfg, 0, 0, 0);
        Config.SetWriteMask(_pciCfgCap + CapBarOffset, 0xff, 1);
        Config.SetWriteMask(_pciCfgCap + CapOffsetOffset, 0xffff_ffff, 4);
        Config.SetWriteMask(_pciCfgCap + CapLengthOffset, 0xffff_ffff, 4);
    }

    private int AddVirtioCap(byte cfgType, ulong offset, uint length, uint? extra = null)
    {
        Span<byte> body = stackalloc byte[CapBodyLength + 4];
        body.Clear();
        body = body[..(extra is null ? CapBodyLength : CapBodyLength + 4)];
        body[CapTypeOffset - 3] = cfgType;
        body[CapBarOffset - 3] = cfgType == VirtioPciCapType.PciCfg ? (byte)0 : (byte)VirtioPciLayout.RegisterBar;
        BinaryPrimitives.WriteUInt32LittleEndian(body[(CapOffsetOffset - 3)..], (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(CapLengthOffset - 3)..], length);
        if (extra is uint value) BinaryPrimitives.WriteUInt32LittleEndian(body[(CapExtraOffset - 3)..], value);
        return Config.AddVendorCapability(body);
    }

    /// <summary>Reads of pci_cfg_data: the BAR bytes at the capability's bar/offset/length (virtio 1.x §4.1.4.9).</summary>
    private void ReadPciCfgWindow(int offset, Span<byte> data)
    {
        int window = _pciCfgCap + CapExtraOffset;
        if (offset >= window + 4 || offset + data.Length <= window) return;
        Span<byte> value = stackalloc byte[4];
        value.Clear();
        if (offset == window && TryPciCfgTarget(out ulong barOffset, out int length) && data.Length >= length)
            _registers.Read(barOffset, value[..length]);
        for (int i = 0; i < data.Length; i++)
        {
            int o = offset + i - window;
            if ((uint)o < 4u) data[i] = value[o];
        }
    }

    private void WritePciCfgWindow(int offset, ReadOnlySpan<byte> data)
    {
        int window = _pciCfgCap + CapExtraOffset;
        if (offset != window) return;
        if (TryPciCfgTarget(out ulong barOffset, out int length) && data.Length >= length)
            _registers.Write(barOffset, data[..length]);
    }

    /// <summary>The window's target, if the driver named our register BAR with a 1/2/4-byte, naturally aligned access inside it.</summary>
    private bool TryPciCfgTarget(out ulong barOffset, out int length)
    {
        barOffset = Config.ReadUInt32(_pciCfgCap + CapOffsetOffset);
        uint len = Config.ReadUInt32(_pciCfgCap + CapLengthOffset);
        length = (int)Math.Min(len, 4u);
        return Config.ReadByte(_pciCfgCap + CapBarOffset) == VirtioPciLayout.RegisterBar
            && len is 1 or 2 or 4
            && barOffset % len == 0
            && barOffset + len <= VirtioPciLayout.RegisterBarSize;
    }
}
