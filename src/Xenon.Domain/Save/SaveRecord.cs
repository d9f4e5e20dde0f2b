using System.Buffers.Binary;
using Xenon.Devices.State;

namespace Xenon.Domain.Save;

/// <summary>
/// One validated record from <see cref="SaveStreamReader.TryReadRecord"/>. Its payload lives in the reader's buffer:
/// use it before reading the next record. The typed accessors throw <see cref="InvalidOperationException"/> when
/// asked for another type's content (a caller bug); the content itself was validated by the reader.
/// </summary>
public readonly ref struct SaveRecord
{
    private readonly RecordContext _context;
    private readonly ReadOnlySpan<byte> _payload;
    private readonly string? _deviceId;
    private readonly int _vcpuIndex;
    private readonly MemoryRegionEntry[]? _regions;
    private readonly MemoryRegionEntry _imageRegion;

    internal SaveRecord(RecordContext context, ReadOnlySpan<byte> payload, string? deviceId = null, int vcpuIndex = -1, MemoryRegionEntry[]? regions = null,
        MemoryRegionEntry imageRegion = default)
    {
        _context = context;
        _payload = payload;
        _deviceId = deviceId;
        _vcpuIndex = vcpuIndex;
        _regions = regions;
        _imageRegion = imageRegion;
    }

    public SaveRecordType Type => _context.Type;

    /// <summary>0-based position among the stream's records.</summary>
    public long Index => _context.Index;

    /// <summary>Stream offset of the record's header.</summary>
    public long Offset => _context.Offset;

    public ReadOnlySpan<byte> Payload => _payload;

    /// <summary>An error about this record: <paramref name="payloadOffset"/> counts from its payload's first byte.</summary>
    public SaveFormatException Error(long payloadOffset, string field, string reason, Exception? inner = null) =>
        _context.Error(payloadOffset, field, reason, inner);

    /// <summary>DomainConfig: the UTF-8 JSON object.</summary>
    public ReadOnlySpan<byte> DomainConfigJson => Expect(SaveRecordType.DomainConfig)._payload;

    /// <summary>PlatformState: the backend's bytes.</summary>
    public ReadOnlySpan<byte> PlatformState => Expect(SaveRecordType.PlatformState)._payload;

    /// <summary>VcpuState: the vCPU's index.</summary>
    public int VcpuIndex => Expect(SaveRecordType.VcpuState)._vcpuIndex;

    /// <summary>VcpuState: the backend's bytes for that vCPU.</summary>
    public ReadOnlySpan<byte> VcpuState => Expect(SaveRecordType.VcpuState)._payload[8..];

    /// <summary>DeviceState: the device's id.</summary>
    public string DeviceId => Expect(SaveRecordType.DeviceState)._deviceId!;

    /// <summary>DeviceState: the device's blob.</summary>
    public ReadOnlySpan<byte> DeviceState => Expect(SaveRecordType.DeviceState)._payload[(2 + _deviceId!.Length)..];

    /// <summary>MemoryPages: the batch.</summary>
    public MemoryPagesView MemoryPages => new(_context, Expect(SaveRecordType.MemoryPages)._payload);

    /// <summary>MemoryImage: the region, where its image lies in the file, and its chunk table (the reader has already
    /// skipped the image itself).</summary>
    public MemoryImageView MemoryImage => new(Expect(SaveRecordType.MemoryImage)._payload, _imageRegion);

    /// <summary>MemoryRegionMap: the regions (also kept by the reader as <see cref="SaveStreamReader.RegionMap"/>).</summary>
    public IReadOnlyList<MemoryRegionEntry> Regions => Expect(SaveRecordType.MemoryRegionMap)._regions!;

    /// <summary>End: the totals it carries (the reader has checked they match).</summary>
    public SaveTotals EndTotals
    {
        get
        {
            var p = Expect(SaveRecordType.End)._payload;
            return new SaveTotals(BinaryPrimitives.ReadUInt64LittleEndian(p), BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[16..]));
        }
    }

    /// <summary>DeviceState: hands the blob to its device; a device's refusal becomes a <see cref="SaveFormatException"/> naming this record.</summary>
    public void ApplyDeviceState(DeviceStateRestore restore)
    {
        ArgumentNullException.ThrowIfNull(restore);
        string id = DeviceId;
        try
        {
            restore.Apply(id, DeviceState);
        }
        catch (DeviceStateException e)
        {
            throw _context.Error(2 + id.Length, "device state", e.Message, e);
        }
    }

    private SaveRecord Expect(SaveRecordType type)
    {
        if (_context.Type != type) throw new InvalidOperationException($"the record is {_context.Type}, not {type}");
        return this;
    }
}
