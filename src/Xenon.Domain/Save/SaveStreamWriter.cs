using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Xenon.Devices.State;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Save;

/// <summary>
/// Writes a save stream (docs/save-format.md): the header at construction, then records, then <see cref="WriteEnd"/>.
/// Records go through one pooled staging buffer, so a page costs a copy and a CRC update and no allocation; the CRC
/// is computed over the staged copy, so a page the guest changes while it is written still checks.
/// </summary>
/// <remarks>
/// Not thread-safe. The order the reader demands is enforced here too (an out-of-order call is a caller bug and throws
/// <see cref="InvalidOperationException"/>): DomainConfig first, one MemoryRegionMap before any MemoryPages, End last.
/// The writer does not own <paramref name="stream"/> unless told so.
/// </remarks>
public sealed partial class SaveStreamWriter : IDisposable
{
    private const int StagingSize = 256 << 10;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly ArrayBufferWriter<byte> _deviceBuffer = new();
    private byte[]? _staging;
    private ulong[]? _entries;
    private int _staged;
    private uint _crc;
    private ulong _recordRemaining;
    private bool _inRecord;
    private MemoryRegionEntry[]? _regions;
    private bool _wroteConfig;
    private bool _ended;
    private bool _wrotePages, _wroteImages;
    private long _written;
    private ulong _records, _dataPages, _zeroPages;

    public SaveStreamWriter(Stream stream, SaveHeader header, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        if (!stream.CanWrite) throw new ArgumentException("the save stream must be writable", nameof(stream));
        int nameBytes = Encoding.UTF8.GetByteCount(header.DomainName ?? "");
        if (nameBytes is 0 or > SaveFormat.MaxDomainNameBytes)
            throw new ArgumentException($"domain name must be 1–{SaveFormat.MaxDomainNameBytes} bytes of UTF-8", nameof(header));
        if (((uint)header.Flags & ~SaveFlagMasks.Known) != 0)
            throw new ArgumentException($"unknown save flags 0x{(uint)header.Flags:x}", nameof(header));
        _stream = stream;
        _ownsStream = ownsStream;
        _staging = ArrayPool<byte>.Shared.Rent(StagingSize);
        WriteHeader(header, nameBytes);
    }

    /// <summary>What has been written so far (End repeats it).</summary>
    public SaveTotals Totals => new(_records, _dataPages, _zeroPages);

    /// <summary>The domain configuration (UTF-8 JSON, e.g. <c>DomainSpecJson</c>'s): must be the first record.</summary>
    public void WriteDomainConfig(ReadOnlySpan<byte> json)
    {
        if (_wroteConfig || _records != 0) throw new InvalidOperationException("DomainConfig is written once, as the first record");
        if (json.IsEmpty) throw new ArgumentException("the domain configuration is empty", nameof(json));
        BeginRecord(SaveRecordType.DomainConfig, (ulong)json.Length);
        Put(json);
        EndRecord();
        _wroteConfig = true;
    }

    /// <summary>The guest-physical RAM regions, once, before any page.</summary>
    public void WriteMemoryRegionMap(ReadOnlySpan<MemoryRegionEntry> regions) => WriteRegionMap(regions.ToArray(), nameof(regions));

    /// <summary>The region map of <paramref name="memory"/>.</summary>
    public void WriteMemoryRegionMap(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var regions = new MemoryRegionEntry[memory.Regions.Count];
        for (int i = 0; i < regions.Length; i++) regions[i] = new MemoryRegionEntry(memory.Regions[i].GuestAddress, memory.Regions[i].Size);
        WriteRegionMap(regions, nameof(memory));
    }

    /// <param name="regions">Kept (not copied): the callers pass their own copy.</param>
    private void WriteRegionMap(MemoryRegionEntry[] regions, string parameter)
    {
        RequireConfig();
        if (_regions is not null) throw new InvalidOperationException("MemoryRegionMap is written once");
        if (MemoryRegionMap.Check(regions) is { } problem) throw new ArgumentException(problem, parameter);
        BeginRecord(SaveRecordType.MemoryRegionMap, 8 + 16 * (ulong)regions.Length);
        Span<byte> field = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)regions.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(field[4..], 0);
        Put(field[..8]);
        foreach (var r in regions)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(field, r.Gpa);
            BinaryPrimitives.WriteUInt64LittleEndian(field[8..], r.Size);
            Put(field);
        }
        EndRecord();
        _regions = regions;
    }

    /// <summary>
    /// Writes the pages <paramref name="pfns"/> of <paramref name="memory"/> in records of up to
    /// <see cref="SaveFormat.PagesPerRecord"/>; all-zero pages go in the zero form, without data.
    /// </summary>
    /// <exception cref="ArgumentException">A pfn is outside the region map or outside <paramref name="memory"/>.</exception>
    public void WriteMemoryPages(GuestMemory memory, ReadOnlySpan<ulong> pfns)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var regions = _regions ?? throw new InvalidOperationException("MemoryPages need the MemoryRegionMap first");
        RequireOpen();
        if (_wroteImages) throw new InvalidOperationException("a stream holds its memory either as MemoryImage or as MemoryPages records, not both");
        _wrotePages = true;
        _entries ??= ArrayPool<ulong>.Shared.Rent(SaveFormat.PagesPerRecord);
        while (!pfns.IsEmpty)
        {
            var batch = pfns[..Math.Min(pfns.Length, SaveFormat.PagesPerRecord)];
            pfns = pfns[batch.Length..];
            WritePageBatch(memory, regions, batch);
        }
    }

    /// <summary>Every page of every region of the map, from <paramref name="memory"/> (a whole save of a paused domain).</summary>
    public void WriteAllMemory(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var regions = _regions ?? throw new InvalidOperationException("MemoryPages need the MemoryRegionMap first");
        var pfns = ArrayPool<ulong>.Shared.Rent(SaveFormat.PagesPerRecord);
        try
        {
            foreach (var region in regions)
            {
                ulong pfn = region.FirstPfn, end = region.FirstPfn + region.PfnCount;
                while (pfn < end)
                {
                    int n = (int)Math.Min((ulong)SaveFormat.PagesPerRecord, end - pfn);
                    for (int i = 0; i < n; i++) pfns[i] = pfn + (ulong)i;
                    WriteMemoryPages(memory, pfns.AsSpan(0, n));
                    pfn += (ulong)n;
                }
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(pfns);
        }
    }

    /// <summary>vCPU <paramref name="index"/>'s state, opaque to the stream (the CPU backend defines it).</summary>
    public void WriteVcpuState(int index, ReadOnlySpan<byte> state)
    {
        RequireConfig();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SaveReaderLimits.Default.MaxVcpus);
        BeginRecord(SaveRecordType.VcpuState, 8 + (ulong)state.Length);
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)index);
        BinaryPrimitives.WriteUInt32LittleEndian(field[4..], 0);
        Put(field);
        Put(state);
        EndRecord();
    }

    /// <summary>Machine-wide backend state (in-kernel interrupt controllers, clocks), opaque to the stream.</summary>
    public void WritePlatformState(ReadOnlySpan<byte> state)
    {
        RequireConfig();
        BeginRecord(SaveRecordType.PlatformState, (ulong)state.Length);
        Put(state);
        EndRecord();
    }

    /// <summary>One device's state blob under <paramref name="id"/>.</summary>
    public void WriteDeviceState(string id, ReadOnlySpan<byte> state)
    {
        RequireConfig();
        if (!DeviceStateSet.IsValidId(id)) throw new ArgumentException($"device state id '{id}' is not valid", nameof(id));
        BeginRecord(SaveRecordType.DeviceState, 2 + (ulong)id.Length + (ulong)state.Length);
        Span<byte> field = stackalloc byte[2 + SaveFormat.MaxDeviceIdBytes];
        BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)id.Length);
        int idBytes = Encoding.ASCII.GetBytes(id, field[2..]);
        Put(field[..(2 + idBytes)]);
        Put(state);
        EndRecord();
    }

    /// <summary>Saves <paramref name="device"/> into a reused buffer and writes it as a DeviceState record.</summary>
    public void WriteDeviceState(IStatefulDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _deviceBuffer.ResetWrittenCount();
        device.SaveState(_deviceBuffer);
        WriteDeviceState(device.StateId, _deviceBuffer.WrittenSpan);
    }

    /// <summary>Every device of <paramref name="devices"/>, in the set's order.</summary>
    public void WriteDeviceStates(DeviceStateSet devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (var device in devices.Devices) WriteDeviceState(device);
    }

    /// <summary>
    /// A record of a type this build does not define (a newer writer's, or a test's). With
    /// <see cref="SaveFormat.OptionalRecordBit"/> a reader that does not know it skips it; without, it fails.
    /// </summary>
    public void WriteRawRecord(uint type, ReadOnlySpan<byte> payload)
    {
        RequireOpen();
        BeginRecord((SaveRecordType)type, (ulong)payload.Length);
        Put(payload);
        EndRecord();
    }

    /// <summary>The End record with the totals, then a flush. Nothing may follow.</summary>
    public void WriteEnd()
    {
        RequireConfig();
        if (_regions is null) throw new InvalidOperationException("the stream has no MemoryRegionMap");
        var totals = Totals;
        BeginRecord(SaveRecordType.End, SaveFormat.EndPayloadSize);
        Span<byte> field = stackalloc byte[SaveFormat.EndPayloadSize];
        BinaryPrimitives.WriteUInt64LittleEndian(field, totals.Records);
        BinaryPrimitives.WriteUInt64LittleEndian(field[8..], totals.DataPages);
        BinaryPrimitives.WriteUInt64LittleEndian(field[16..], totals.ZeroPages);
        Put(field);
        EndRecord();
        _ended = true;
        Flush();
    }

    /// <summary>Pushes staged bytes to the stream and flushes it (a migration sends what it has; End does this itself).</summary>
    public void Flush()
    {
        FlushStaging();
        _stream.Flush();
    }

    /// <summary>Returns the pooled buffers. Staged bytes are not flushed: a stream abandoned before End is incomplete anyway,
    /// and the reader refuses it.</summary>
    public void Dispose()
    {
        if (_staging is { } staging)
        {
            _staging = null;
            ArrayPool<byte>.Shared.Return(staging);
        }
        if (_entries is { } entries)
        {
            _entries = null;
            ArrayPool<ulong>.Shared.Return(entries);
        }
        if (_ownsStream) _stream.Dispose();
    }

    private void WriteHeader(SaveHeader header, int nameBytes)
    {
        Span<byte> fixedPart = stackalloc byte[SaveFormat.HeaderFixedSize];
        SaveFormat.Magic.CopyTo(fixedPart);
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[8..], SaveFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[12..], (uint)header.Flags);
        header.Uuid.TryWriteBytes(fixedPart[16..32], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[32..], (ushort)nameBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[34..], 0);
        Span<byte> name = stackalloc byte[SaveFormat.MaxDomainNameBytes];
        Encoding.UTF8.GetBytes(header.DomainName, name);
        _crc = Crc32C.Initial;
        _inRecord = true;
        _recordRemaining = (ulong)(fixedPart.Length + nameBytes);
        Put(fixedPart);
        Put(name[..nameBytes]);
        PutCrc();
        _inRecord = false;
    }

    private void WritePageBatch(GuestMemory memory, MemoryRegionEntry[] regions, ReadOnlySpan<ulong> pfns)
    {
        var entries = _entries!;
        int data = 0;
        for (int i = 0; i < pfns.Length; i++)
        {
            ulong pfn = pfns[i];
            if (!MemoryRegionMap.Contains(regions, pfn))
                throw new ArgumentException($"pfn 0x{pfn:x} is outside the memory region map", nameof(pfns));
            if (!memory.TryGetSpan(pfn << SaveFormat.PageShift, SaveFormat.PageSize, out var page))
                throw new ArgumentException($"pfn 0x{pfn:x} is outside guest memory", nameof(pfns));
            // A page that turns non-zero after this test was written to after the copy point: a live migration resends
            // it as dirty, and a paused domain cannot write at all.
            bool zero = page.IndexOfAnyExcept((byte)0) < 0;
            entries[i] = pfn | ((zero ? SaveFormat.PageKindZero : SaveFormat.PageKindData) << SaveFormat.PageKindShift);
            if (!zero) data++;
        }
        BeginRecord(SaveRecordType.MemoryPages, 8 + 8 * (ulong)pfns.Length + (ulong)data * SaveFormat.PageSize);
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)pfns.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(field[4..], 0);
        Put(field);
        for (int i = 0; i < pfns.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(field, entries[i]);
            Put(field);
        }
        for (int i = 0; i < pfns.Length; i++)
        {
            if (entries[i] >> SaveFormat.PageKindShift != SaveFormat.PageKindData) continue;
            Put(memory.GetSpan(pfns[i] << SaveFormat.PageShift, SaveFormat.PageSize));
        }
        EndRecord();
        _dataPages += (ulong)data;
        _zeroPages += (ulong)(pfns.Length - data);
    }

    private void RequireOpen()
    {
        ObjectDisposedException.ThrowIf(_staging is null, this);
        if (_ended) throw new InvalidOperationException("the stream has ended; nothing may follow End");
    }

    private void RequireConfig()
    {
        RequireOpen();
        if (!_wroteConfig) throw new InvalidOperationException("DomainConfig must be the first record");
    }

    private void BeginRecord(SaveRecordType type, ulong length)
    {
        RequireOpen();
        Span<byte> header = stackalloc byte[SaveFormat.RecordHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], length);
        _crc = Crc32C.Initial;
        _inRecord = true;
        _recordRemaining = (ulong)header.Length + length;
        Put(header);
    }

    private void EndRecord()
    {
        PutCrc();
        _inRecord = false;
        _records++;
    }

    private void PutCrc()
    {
        if (_recordRemaining != 0) throw new InvalidOperationException($"record is {_recordRemaining} bytes short of its declared length");
        Span<byte> crc = stackalloc byte[SaveFormat.CrcSize];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Finish(_crc));
        _recordRemaining = SaveFormat.CrcSize;
        Put(crc, checksum: false);
        _recordRemaining = 0;
    }

    /// <summary>Copies into the staging buffer and checksums the copy.</summary>
    private void Put(scoped ReadOnlySpan<byte> data, bool checksum = true)
    {
        if (!_inRecord || (ulong)data.Length > _recordRemaining)
            throw new InvalidOperationException("record content exceeds its declared length");
        _recordRemaining -= (ulong)data.Length;
        var staging = _staging!;
        while (!data.IsEmpty)
        {
            if (_staged == staging.Length) FlushStaging();
            int n = Math.Min(data.Length, staging.Length - _staged);
            var slot = staging.AsSpan(_staged, n);
            data[..n].CopyTo(slot);
            if (checksum) _crc = Crc32C.Append(_crc, slot);
            _staged += n;
            data = data[n..];
        }
    }

    private void FlushStaging()
    {
        if (_staged == 0) return;
        _stream.Write(_staging!, 0, _staged);
        _written += _staged;
        _staged = 0;
    }
}
