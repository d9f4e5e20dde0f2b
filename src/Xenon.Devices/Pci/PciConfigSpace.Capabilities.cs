namespace Xenon.Devices.Pci;

public sealed partial class PciConfigSpace
{
    private int _nextCapability = PciConfigOffsets.FirstCapability;
    private int _lastNextPointer = PciConfigOffsets.CapabilitiesPointer;

    /// <summary>Build time: appends a capability of <paramref name="length"/> bytes (id and next pointer included)
    /// to the list and returns its offset. The body is read-only zeros until the caller sets values and masks.</summary>
    public int AddCapability(byte id, int length)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, "a capability holds at least its id and next pointer");
        int offset = _nextCapability;
        // Capabilities live in the first 256 bytes (extended capabilities are a different list).
        if (offset + length > LegacySize)
            throw new InvalidOperationException($"no room for a {length}-byte capability at 0x{offset:x}");
        SetInitial(offset, id, 1);
        SetInitial(offset + 1, 0, 1);
        SetInitial(_lastNextPointer, (uint)offset, 1);
        _lastNextPointer = offset + 1;
        _nextCapability = (offset + length + 3) & ~3;
        SetInitial(PciConfigOffsets.Status, (uint)(ReadUInt16(PciConfigOffsets.Status) | PciStatus.CapabilitiesList), 2);
        return offset;
    }

    /// <summary>Build time: appends a vendor-specific capability (id 0x09, then next pointer, then its length byte)
    /// whose bytes from offset 3 on are <paramref name="body"/>. Returns its offset.</summary>
    public int AddVendorCapability(ReadOnlySpan<byte> body)
    {
        int length = 3 + body.Length;
        if (length > byte.MaxValue) throw new ArgumentOutOfRangeException(nameof(body), body.Length, "vendor capability too long");
        int offset = AddCapability(PciCapabilityId.VendorSpecific, length);
        SetInitial(offset + 2, (uint)length, 1);
        for (int i = 0; i < body.Length; i++) SetInitial(offset + 3 + i, body[i], 1);
        return offset;
    }
}
