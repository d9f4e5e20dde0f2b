using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Xenon.Devices.State;

namespace Xenon.Domain.Save;

/// <summary>
/// Reads a save stream and validates all of it before handing anything out: the header (magic, version, flags, name,
/// CRC), each record's framing (reserved bits, length limit, CRC-32C), each known record's payload, the order of
/// records, and the End record's totals. Everything wrong with the stream's bytes is a <see cref="SaveFormatException"/>
/// naming offset, record and field; errors of the underlying stream (an I/O error) pass through as they are.
/// </summary>
/// <remarks>
/// Not thread-safe. A record's payload lives in the reader's pooled buffer until the next <see cref="TryReadRecord"/>.
/// The stream is read forward only (a socket works); nothing is trusted before the record's CRC has been checked,
/// and no buffer is grown beyond bytes actually received.
/// </remarks>
public sealed partial class SaveStreamReader : IDisposable
{
    private const int ReadChunk = 1 << 20;

    private readonly Stream _stream;
    private readonly SaveReaderLimits _limits;
    private readonly bool _ownsStream;
    // Which vCPUs had a state record (grown as indices come, up to the limit). Not a HashSet<uint>: that
    // instantiation has no ReadyToRun code and was compiled inside a restore.
    private bool[] _vcpus = new bool[64];
    private readonly HashSet<string> _devices = new(StringComparer.Ordinal);
    private byte[] _buffer;
    private long _offset;
    private long _recordIndex;
    private SaveHeader? _header;
    private MemoryRegionEntry[]? _regions;
    private bool _sawConfig;
    private bool _sawPlatform;
    private bool _ended;
    private bool _sawPages;
    private bool[]? _imaged;
    private uint _version;
    private ulong _records, _dataPages, _zeroPages;

    public SaveStreamReader(Stream stream, SaveReaderLimits? limits = null, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("the save stream must be readable", nameof(stream));
        _stream = stream;
        _limits = limits ?? SaveReaderLimits.Default;
        if (_limits.MaxRecordLength > (ulong)Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(limits), "MaxRecordLength must fit an array");
        _ownsStream = ownsStream;
        _buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
    }

    /// <summary>The header, once read (<see cref="ReadHeader"/>, or the first <see cref="TryReadRecord"/>).</summary>
    public SaveHeader? Header => _header;

    /// <summary>The stream's memory region map, once its record has been read.</summary>
    public IReadOnlyList<MemoryRegionEntry>? RegionMap => _regions;

    /// <summary>What has been read so far.</summary>
    public SaveTotals Totals => new(_records, _dataPages, _zeroPages);

    /// <summary>Bytes consumed so far.</summary>
    public long Offset => _offset;

    /// <summary>The stream's format version (once the header is read): 1 or 2.</summary>
    public uint FormatVersion => _version;

    /// <summary>True once a MemoryImage record was read: the stream's memory is in images (a file), not in MemoryPages.</summary>
    public bool HasMemoryImages => _imaged is not null;

    public SaveHeader ReadHeader()
    {
        if (_header is not null) return _header;
        Span<byte> fixedPart = stackalloc byte[SaveFormat.HeaderFixedSize];
        uint crc = Crc32C.Initial;
        ReadExactly(fixedPart[..8], "magic");
        if (!fixedPart[..8].SequenceEqual(SaveFormat.Magic))
            throw HeaderError(0, "magic", $"expected \"XENONSAV\", found {Printable(fixedPart[..8])}: not a Xenon save stream");
        ReadExactly(fixedPart[8..12], "version");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[8..]);
        if (version is < SaveFormat.OldestReadableVersion or > SaveFormat.Version)
            throw HeaderError(8, "version", version > SaveFormat.Version
                ? $"format version {version} is not supported (this build reads versions {SaveFormat.OldestReadableVersion}–{SaveFormat.Version}): saved by a newer Xenon"
                : $"format version {version} is not supported (this build reads versions {SaveFormat.OldestReadableVersion}–{SaveFormat.Version})");
        ReadExactly(fixedPart[12..16], "flags");
        ReadExactly(fixedPart[16..32], "uuid");
        ReadExactly(fixedPart[32..34], "name length");
        ReadExactly(fixedPart[34..36], "reserved");
        crc = Crc32C.Append(crc, fixedPart);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[32..]);
        if (nameLength is 0 or > SaveFormat.MaxDomainNameBytes)
            throw HeaderError(32, "name length", $"{nameLength} is outside 1–{SaveFormat.MaxDomainNameBytes}");
        Span<byte> name = stackalloc byte[SaveFormat.MaxDomainNameBytes];
        ReadExactly(name[..nameLength], "name");
        crc = Crc32C.Append(crc, name[..nameLength]);
        Span<byte> stored = stackalloc byte[SaveFormat.CrcSize];
        ReadExactly(stored, "header crc");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(stored);
        uint computed = Crc32C.Finish(crc);
        if (storedCrc != computed)
            throw HeaderError(_offset - SaveFormat.CrcSize, "header crc", $"stored 0x{storedCrc:x8}, computed 0x{computed:x8}: the header is corrupt");
        // Fields are trusted only now that the CRC holds.
        if (BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[34..]) != 0)
            throw HeaderError(34, "reserved", "must be zero");
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[12..]);
        if ((flags & SaveFlagMasks.Critical & ~SaveFlagMasks.Known) != 0)
            throw HeaderError(12, "flags", $"0x{flags:x8} has must-understand flags this build does not know");
        if (!Utf8.IsValid(name[..nameLength]))
            throw HeaderError(SaveFormat.HeaderFixedSize, "name", "is not valid UTF-8");
        var uuid = new Guid(fixedPart[16..32], bigEndian: true);
        _version = version;
        _header = new SaveHeader(Encoding.UTF8.GetString(name[..nameLength]), uuid, (SaveFlags)(flags & SaveFlagMasks.Known));
        return _header;
    }

    /// <summary>
    /// Reads and validates the next record. False once the End record has been read (its totals checked); unknown
    /// optional records are skipped.
    /// </summary>
    public bool TryReadRecord(out SaveRecord record)
    {
        ReadHeader();
        Span<byte> header = stackalloc byte[SaveFormat.RecordHeaderSize];
        Span<byte> stored = stackalloc byte[SaveFormat.CrcSize];
        while (!_ended)
        {
            long start = _offset;
            long index = _recordIndex;
            if (!TryReadFirst(header, index))
                throw new SaveFormatException(start, index, null, "type", "the stream ends before its End record (truncated)");
            var type = (SaveRecordType)BinaryPrimitives.ReadUInt32LittleEndian(header);
            uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            // The length is checked before the CRC, since it decides how much to read; the limit bounds the damage.
            if (length > _limits.MaxRecordLength)
                throw new SaveFormatException(start + 8, index, type, "length", $"{length} bytes is more than the {_limits.MaxRecordLength} allowed (oversized or corrupt)");
            var payload = ReadPayload(start, index, type, (int)length);
            ReadExactly(stored, "crc", index, type);
            uint crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Initial, header), payload));
            uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(stored);
            if (crc != storedCrc)
                throw new SaveFormatException(_offset - SaveFormat.CrcSize, index, type, "crc", $"stored 0x{storedCrc:x8}, computed 0x{crc:x8}: the record is corrupt");
            if (reserved != 0)
                throw new SaveFormatException(start + 4, index, type, "reserved", $"0x{reserved:x8}; must be zero");
            _recordIndex++;

            var context = new RecordContext(start, index, type);
            // A range check, not Enum.IsDefined: that generic has no ReadyToRun code and was compiled inside a restore.
            // The types are numbered without gaps and MemoryImage is the last (SaveStreamReaderTests checks both).
            if ((uint)type > (uint)SaveRecordType.MemoryImage)
            {
                if (((uint)type & SaveFormat.OptionalRecordBit) == 0)
                    throw context.Error(0, "type", $"unknown record type 0x{(uint)type:x8} is not optional; this build cannot restore the stream");
                _records++;
                continue;
            }
            record = Validate(context, payload);
            return true;
        }
        record = default;
        return false;
    }

    /// <summary>For a stream that must end with its End record (a file): fails if any byte follows.</summary>
    public void ExpectEndOfStream()
    {
        if (!_ended) throw new InvalidOperationException("the End record has not been read yet");
        Span<byte> probe = stackalloc byte[1];
        if (_stream.Read(probe) != 0)
            throw new SaveFormatException(_offset, _recordIndex, null, "end of stream", "bytes follow the End record");
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length != 0) ArrayPool<byte>.Shared.Return(buffer);
        if (_ownsStream) _stream.Dispose();
    }

    private SaveRecord Validate(RecordContext c, ReadOnlySpan<byte> p)
    {
        if (!_sawConfig && c.Type != SaveRecordType.DomainConfig)
            throw c.Error(-SaveFormat.RecordHeaderSize, "type", $"the first record must be DomainConfig, not {c.Type}");
        switch (c.Type)
        {
            case SaveRecordType.DomainConfig:
                if (_sawConfig) throw c.Error(-SaveFormat.RecordHeaderSize, "type", "a second DomainConfig record");
                CheckJson(c, p);
                _sawConfig = true;
                break;
            case SaveRecordType.MemoryRegionMap:
                if (_regions is not null) throw c.Error(-SaveFormat.RecordHeaderSize, "type", "a second MemoryRegionMap record");
                _regions = ParseRegions(c, p);
                break;
            case SaveRecordType.MemoryPages:
                if (_imaged is not null) throw c.Error(-SaveFormat.RecordHeaderSize, "type", "MemoryPages in a stream whose memory is in MemoryImage records");
                _sawPages = true;
                CheckPages(c, p);
                break;
            case SaveRecordType.MemoryImage:
            {
                var region = CheckImage(c, p);
                _records++;
                return new SaveRecord(c, p, regions: _regions, imageRegion: region);
            }
            case SaveRecordType.VcpuState:
            {
                if (p.Length < 8) throw c.Error(0, "vcpu index", $"payload of {p.Length} bytes is shorter than its 8-byte head");
                uint vcpu = BinaryPrimitives.ReadUInt32LittleEndian(p);
                if (vcpu >= (uint)_limits.MaxVcpus) throw c.Error(0, "vcpu index", $"{vcpu} is not below {_limits.MaxVcpus}");
                if (BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) != 0) throw c.Error(4, "reserved", "must be zero");
                if (vcpu >= (uint)_vcpus.Length)
                {
                    var grown = new bool[Math.Max((int)vcpu + 1, _vcpus.Length * 2)];
                    Array.Copy(_vcpus, grown, _vcpus.Length);
                    _vcpus = grown;
                }
                if (_vcpus[vcpu]) throw c.Error(0, "vcpu index", $"vCPU {vcpu} has a second state record");
                _vcpus[vcpu] = true;
                _records++;
                return new SaveRecord(c, p, vcpuIndex: (int)vcpu);
            }
            case SaveRecordType.PlatformState:
                if (_sawPlatform) throw c.Error(-SaveFormat.RecordHeaderSize, "type", "a second PlatformState record");
                _sawPlatform = true;
                break;
            case SaveRecordType.DeviceState:
            {
                string id = ParseDeviceId(c, p);
                if (!_devices.Add(id)) throw c.Error(2, "device id", $"device '{id}' has a second state record");
                _records++;
                return new SaveRecord(c, p, deviceId: id);
            }
            case SaveRecordType.End:
                CheckEnd(c, p);
                _ended = true;
                return new SaveRecord(c, p);
        }
        _records++;
        return new SaveRecord(c, p, regions: _regions);
    }

    private static void CheckJson(RecordContext c, ReadOnlySpan<byte> p)
    {
        if (p.IsEmpty || p[0] != (byte)'{') throw c.Error(0, "json", "the domain configuration must be a JSON object");
        try
        {
            var reader = new Utf8JsonReader(p, new JsonReaderOptions { MaxDepth = 64 });
            while (reader.Read())
            {
            }
            if (reader.BytesConsumed != p.Length) throw c.Error(reader.BytesConsumed, "json", "bytes follow the JSON object");
        }
        catch (JsonException e)
        {
            throw c.Error(e.BytePositionInLine ?? 0, "json", $"not valid JSON: {e.Message}");
        }
    }

    private static MemoryRegionEntry[] ParseRegions(RecordContext c, ReadOnlySpan<byte> p)
    {
        if (p.Length < 8) throw c.Error(0, "region count", $"payload of {p.Length} bytes is shorter than its 8-byte head");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(p);
        if (count is 0 or > SaveFormat.MaxRegions) throw c.Error(0, "region count", $"{count} is outside 1–{SaveFormat.MaxRegions}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) != 0) throw c.Error(4, "reserved", "must be zero");
        if (p.Length != 8 + 16 * (int)count) throw c.Error(-8, "length", $"{p.Length} bytes, but {count} regions take {8 + 16 * count}");
        var regions = new MemoryRegionEntry[count];
        for (int i = 0; i < regions.Length; i++)
        {
            var entry = p.Slice(8 + 16 * i, 16);
            regions[i] = new MemoryRegionEntry(BinaryPrimitives.ReadUInt64LittleEndian(entry), BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]));
        }
        if (MemoryRegionMap.Check(regions) is { } problem) throw c.Error(8, "regions", problem);
        return regions;
    }

    private void CheckPages(RecordContext c, ReadOnlySpan<byte> p)
    {
        var regions = _regions ?? throw c.Error(-SaveFormat.RecordHeaderSize, "type", "MemoryPages before the MemoryRegionMap");
        if (p.Length < 8) throw c.Error(0, "page count", $"payload of {p.Length} bytes is shorter than its 8-byte head");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(p);
        if (count == 0 || (ulong)count * 8 > (ulong)p.Length - 8) throw c.Error(0, "page count", $"{count} entries do not fit a {p.Length}-byte payload");
        if (BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) != 0) throw c.Error(4, "reserved", "must be zero");
        ulong data = 0;
        for (int i = 0; i < (int)count; i++)
        {
            int at = 8 + 8 * i;
            ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(p[at..]);
            ulong kind = entry >> SaveFormat.PageKindShift;
            ulong pfn = entry & SaveFormat.PagePfnMask;
            if ((entry & SaveFormat.PageEntryReservedMask) != 0) throw c.Error(at, "page entry", $"0x{entry:x16} has reserved bits set");
            if (kind > SaveFormat.PageKindZero) throw c.Error(at, "page entry", $"0x{entry:x16} has unknown kind {kind}");
            if (!MemoryRegionMap.Contains(regions, pfn)) throw c.Error(at, "page entry", $"pfn 0x{pfn:x} is outside the memory region map");
            if (kind == SaveFormat.PageKindData) data++;
        }
        ulong expected = 8 + 8UL * count + data * SaveFormat.PageSize;
        if ((ulong)p.Length != expected)
            throw c.Error(-8, "length", $"{p.Length} bytes, but {count} entries with {data} data pages take {expected}");
        _dataPages += data;
        _zeroPages += count - data;
    }

    private static string ParseDeviceId(RecordContext c, ReadOnlySpan<byte> p)
    {
        if (p.Length < 2) throw c.Error(0, "device id length", $"payload of {p.Length} bytes is shorter than its 2-byte head");
        int length = BinaryPrimitives.ReadUInt16LittleEndian(p);
        if (length is 0 or > SaveFormat.MaxDeviceIdBytes || length > p.Length - 2)
            throw c.Error(0, "device id length", $"{length} is outside 1–{Math.Min(SaveFormat.MaxDeviceIdBytes, p.Length - 2)}");
        var id = p.Slice(2, length);
        for (int i = 0; i < id.Length; i++)
            if (id[i] is < (byte)'!' or > (byte)'~') throw c.Error(2 + i, "device id", $"byte 0x{id[i]:x2} is not printable ASCII");
        return Encoding.ASCII.GetString(id);
    }

    private void CheckEnd(RecordContext c, ReadOnlySpan<byte> p)
    {
        if (p.Length != SaveFormat.EndPayloadSize) throw c.Error(-8, "length", $"{p.Length} bytes; End holds {SaveFormat.EndPayloadSize}");
        if (_regions is null) throw c.Error(-SaveFormat.RecordHeaderSize, "type", "End before any MemoryRegionMap");
        // A loop, not Array.IndexOf<bool>: that instantiation has no ReadyToRun code (compiled inside a restore).
        for (int missing = 0; _imaged is not null && missing < _imaged.Length; missing++)
            if (!_imaged[missing]) throw c.Error(-SaveFormat.RecordHeaderSize, "type", $"region {missing} has no MemoryImage record");
        ulong records = BinaryPrimitives.ReadUInt64LittleEndian(p), data = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
            zero = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
        if (records != _records) throw c.Error(0, "total records", $"End counts {records} records, the stream had {_records}: records are missing or added");
        if (data != _dataPages) throw c.Error(8, "total data pages", $"End counts {data}, the stream had {_dataPages}");
        if (zero != _zeroPages) throw c.Error(16, "total zero pages", $"End counts {zero}, the stream had {_zeroPages}");
    }

    /// <summary>Reads a payload into the pooled buffer, growing it only as bytes arrive, so a lying length costs no more memory than the stream holds.</summary>
    private ReadOnlySpan<byte> ReadPayload(long start, long index, SaveRecordType type, int length)
    {
        int have = 0;
        while (have < length)
        {
            int want = Math.Min(ReadChunk, length - have);
            if (_buffer.Length < have + want)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(have + want, Math.Min(length, _buffer.Length * 2)));
                _buffer.AsSpan(0, have).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            int got = _stream.ReadAtLeast(_buffer.AsSpan(have, want), want, throwOnEndOfStream: false);
            have += got;
            _offset += got;
            if (got < want)
                throw new SaveFormatException(_offset, index, type, "payload",
                    $"truncated: the record at offset {start} declares {length} payload bytes, the stream ends after {have}");
        }
        return _buffer.AsSpan(0, length);
    }

    /// <summary>Reads a record header; false if the stream ended cleanly before its first byte.</summary>
    private bool TryReadFirst(Span<byte> header, long index)
    {
        int got = _stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        _offset += got;
        if (got == 0) return false;
        if (got < header.Length)
            throw new SaveFormatException(_offset, index, null, "record header", $"truncated: {got} of its {header.Length} bytes");
        return true;
    }

    private void ReadExactly(Span<byte> into, string field, long index = -1, SaveRecordType? type = null)
    {
        int got = _stream.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
        _offset += got;
        if (got < into.Length)
            throw new SaveFormatException(_offset, index, type, field, $"truncated: the stream ends {got} bytes into this {into.Length}-byte field");
    }

    private static SaveFormatException HeaderError(long offset, string field, string reason) => new(offset, -1, null, field, reason);

    private static string Printable(ReadOnlySpan<byte> bytes) =>
        Ascii.IsValid(bytes) && bytes.IndexOfAnyInRange((byte)0, (byte)0x1f) < 0 ? $"\"{Encoding.ASCII.GetString(bytes)}\"" : Convert.ToHexString(bytes);
}

/// <summary>Where a record sits, for its errors: <see cref="Error"/> takes an offset relative to the payload.</summary>
internal readonly record struct RecordContext(long Offset, long Index, SaveRecordType Type)
{
    public long PayloadOffset => Offset + SaveFormat.RecordHeaderSize;

    public SaveFormatException Error(long payloadOffset, string field, string reason, Exception? inner = null) =>
        new(PayloadOffset + payloadOffset, Index, Type, field, reason, inner);
}
