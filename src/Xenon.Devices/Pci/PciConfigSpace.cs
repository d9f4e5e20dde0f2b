using System.Buffers.Binary;

namespace Xenon.Devices.Pci;

/// <summary>
/// One function's configuration space: the bytes, which bits software may write (the rest are
/// read-only), and which bits clear when written with 1 (error status). BAR sizing needs no
/// special case: a BAR's address bits below its size are read-only zeros, so writing all-ones
/// reads back the size mask, as on hardware.
/// </summary>
/// <remarks>Not thread-safe: the owner (<see cref="PciRoot"/>) serialises guest accesses.
/// Build-time setters change both the live bytes and the reset image; guest writes change only the live bytes.</remarks>
public sealed partial class PciConfigSpace
{
    public const int LegacySize = 256;
    public const int ExtendedSize = 4096;

    private readonly byte[] _data;
    private readonly byte[] _defaults;
    private readonly byte[] _writable;
    private readonly byte[] _writeOneToClear;
    private readonly byte[] _deviceOwned;
    private ObserverRange[] _observers = [];

    private readonly record struct ObserverRange(int Offset, int Length, IPciConfigObserver Observer);

    public PciConfigSpace(PciIdentity identity, int size = LegacySize)
    {
        if (size != LegacySize && size != ExtendedSize)
            throw new ArgumentOutOfRangeException(nameof(size), size, "configuration space is 256 or 4096 bytes");
        if (identity.VendorId == PciVendor.None)
            throw new ArgumentException("vendor id 0xffff means 'no device'", nameof(identity));
        Size = size;
        _data = new byte[size];
        _defaults = new byte[size];
        _writable = new byte[size];
        _writeOneToClear = new byte[size];
        _deviceOwned = new byte[size];

        SetInitial(PciConfigOffsets.VendorId, identity.VendorId, 2);
        SetInitial(PciConfigOffsets.DeviceId, identity.DeviceId, 2);
        SetInitial(PciConfigOffsets.RevisionId, identity.Revision, 1);
        SetInitial(PciConfigOffsets.ClassCode, identity.ClassCode & 0xff_ffff, 3);
        SetInitial(PciConfigOffsets.SubsystemVendorId, identity.SubsystemVendorId, 2);
        SetInitial(PciConfigOffsets.SubsystemId, identity.SubsystemId, 2);
        SetWriteMask(PciConfigOffsets.Command, PciCommand.Writable, 2);
        SetWriteOneToClearMask(PciConfigOffsets.Status, PciStatus.WriteOneToClear, 2);
        SetWriteMask(PciConfigOffsets.CacheLineSize, 0xff, 1);
        SetWriteMask(PciConfigOffsets.InterruptLine, 0xff, 1);
    }

    public int Size { get; }

    public PciIdentity Identity => new(
        ReadUInt16(PciConfigOffsets.VendorId), ReadUInt16(PciConfigOffsets.DeviceId),
        ReadUInt32(PciConfigOffsets.RevisionId) >> 8, ReadByte(PciConfigOffsets.RevisionId),
        ReadUInt16(PciConfigOffsets.SubsystemVendorId), ReadUInt16(PciConfigOffsets.SubsystemId));

    public ushort Command => ReadUInt16(PciConfigOffsets.Command);

    public ushort Status => ReadUInt16(PciConfigOffsets.Status);

    /// <summary>A guest read: bytes past the end of the space read as all-ones.</summary>
    public void Read(int offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            int o = offset + i;
            data[i] = (uint)o < (uint)Size ? _data[o] : (byte)0xff;
        }
    }

    /// <summary>A guest write: read-only bits keep their value, write-one-to-clear bits clear where a 1 is written,
    /// bytes past the end are dropped. Observers of the touched range are told afterwards.</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        int first = -1, last = -1;
        for (int i = 0; i < data.Length; i++)
        {
            int o = offset + i;
            if ((uint)o >= (uint)Size) continue;
            byte value = data[i];
            byte mask = _writable[o];
            byte next = (byte)((_data[o] & ~mask) | (value & mask));
            next &= (byte)~(value & _writeOneToClear[o]);
            _data[o] = next;
            if (first < 0) first = o;
            last = o;
        }
        if (first >= 0) NotifyWritten(first, last - first + 1);
    }

    public byte ReadByte(int offset) => _data[offset];

    public ushort ReadUInt16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(offset, 2));

    public uint ReadUInt32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(offset, 4));

    /// <summary>Build time: sets a field's value in the live bytes and in the reset image.</summary>
    public void SetInitial(int offset, uint value, int width)
    {
        CheckField(offset, width);
        for (int i = 0; i < width; i++)
        {
            _data[offset + i] = (byte)(value >> (8 * i));
            _defaults[offset + i] = (byte)(value >> (8 * i));
        }
    }

    /// <summary>Build time: the bits of a field software may write.</summary>
    public void SetWriteMask(int offset, uint mask, int width)
    {
        CheckField(offset, width);
        for (int i = 0; i < width; i++) _writable[offset + i] = (byte)(mask >> (8 * i));
    }

    /// <summary>Build time: the bits of a field that clear when software writes 1 to them.</summary>
    public void SetWriteOneToClearMask(int offset, uint mask, int width)
    {
        CheckField(offset, width);
        for (int i = 0; i < width; i++) _writeOneToClear[offset + i] = (byte)(mask >> (8 * i));
    }

    /// <summary>Device side: changes a field regardless of write masks (status bits the device raises, read-only counters).</summary>
    public void SetLive(int offset, uint value, int width)
    {
        CheckField(offset, width);
        for (int i = 0; i < width; i++)
        {
            _data[offset + i] = (byte)(value >> (8 * i));
            // Restorable from saved state: the device, not the build, decides its value. A field a device only
            // changes later must be set once at build time too, or a fresh function refuses a saved value for it.
            _deviceOwned[offset + i] = 0xff;
        }
    }

    /// <summary>Build time: the INTx pin the function uses (1 = INTA# … 4 = INTD#, 0 = none).</summary>
    public void SetInterruptPin(byte pin)
    {
        if (pin > 4) throw new ArgumentOutOfRangeException(nameof(pin), pin, "INTx pin is 0 (none) or 1–4");
        SetInitial(PciConfigOffsets.InterruptPin, pin, 1);
    }

    /// <summary>Device side: the status register's interrupt-status bit mirrors the function's INTx level.</summary>
    public void SetInterruptStatus(bool asserted)
    {
        ushort status = Status;
        status = asserted ? (ushort)(status | PciStatus.InterruptStatus) : (ushort)(status & ~PciStatus.InterruptStatus);
        SetLive(PciConfigOffsets.Status, status, 2);
    }

    public void AddObserver(int offset, int length, IPciConfigObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        CheckField(offset, length);
        _observers = [.. _observers, new ObserverRange(offset, length, observer)];
    }

    /// <summary>Back to the reset image (what a function-level or platform reset leaves).</summary>
    public void Reset()
    {
        _defaults.CopyTo(_data, 0);
        foreach (var o in _observers) o.Observer.ConfigReset();
    }

    public PciConfigSpaceState GetState() => new((byte[])_data.Clone());

    /// <summary>
    /// Restores saved bytes. Only bits that can change after build may differ from this function's reset image
    /// (bits software writes, write-one-to-clear bits, interrupt status, fields the device set live): a saved image
    /// whose identity, BAR types or capability list differ comes from another device and is refused, so a saved
    /// state can never give a BAR a misaligned address or change what the guest sees the function as.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong size, or a read-only bit differs (the message names its offset); nothing is changed.</exception>
    public void SetState(PciConfigSpaceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Data is null || state.Data.Length != Size)
            throw new ArgumentException($"saved configuration space has {state.Data?.Length ?? 0} bytes, this function has {Size}", nameof(state));
        for (int o = 0; o < Size; o++)
        {
            int restorable = _writable[o] | _writeOneToClear[o] | _deviceOwned[o];
            if (o == PciConfigOffsets.Status) restorable |= PciStatus.InterruptStatus;
            if (((state.Data[o] ^ _defaults[o]) & ~restorable & 0xff) != 0)
                throw new ArgumentException(
                    $"saved configuration byte 0x{o:x3} is 0x{state.Data[o]:x2}, but its read-only bits on this function are those of 0x{_defaults[o]:x2}",
                    nameof(state));
        }
        state.Data.CopyTo(_data, 0);
        NotifyWritten(0, Size);
    }

    private void NotifyWritten(int offset, int length)
    {
        foreach (var o in _observers)
        {
            if (offset < o.Offset + o.Length && o.Offset < offset + length)
                o.Observer.ConfigWritten(offset, length);
        }
    }

    private void CheckField(int offset, int width)
    {
        if (width <= 0 || offset < 0 || offset + width > Size)
            throw new ArgumentOutOfRangeException(nameof(offset), $"field 0x{offset:x}+{width} is outside the {Size}-byte configuration space");
    }
}
