using System.Buffers.Binary;
using System.Text;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Save;

/// <summary>Builds streams for the tests: real ones through <see cref="SaveStreamWriter"/>, and hand-framed ones (valid CRCs
/// around invalid content) to reach the checks behind the CRC.</summary>
internal static class SaveStreams
{
    public static readonly Guid Uuid = Guid.Parse("6f1d1c3e-8b9a-4a57-9c1e-2d3b4c5d6e7f");
    public static readonly SaveHeader Header = new("guest-1", Uuid);
    public static readonly byte[] ConfigJson = """{"name":"guest-1","memory":2}"""u8.ToArray();

    /// <summary>Two 64 KiB regions with a gap, some pages filled, the rest zero.</summary>
    public static GuestMemory Memory()
    {
        var memory = GuestMemory.Create([(0, 0x10000), (0x100000, 0x10000)]);
        memory.GetSpan(0x1000, 4096).Fill(0x11);
        memory.GetSpan(0x3000, 16).Fill(0x22);
        memory.GetSpan(0x10ff00, 0x100).Fill(0x33);
        return memory;
    }

    /// <summary>A complete stream of <paramref name="memory"/>: config, map, all pages, two vCPUs, platform, two devices, End.</summary>
    public static byte[] Complete(GuestMemory memory, Action<SaveStreamWriter>? beforeEnd = null)
    {
        using var output = new MemoryStream();
        using (var w = new SaveStreamWriter(output, Header))
        {
            w.WriteDomainConfig(ConfigJson);
            w.WriteMemoryRegionMap(memory);
            w.WriteAllMemory(memory);
            w.WriteVcpuState(0, "vcpu-zero"u8);
            w.WriteVcpuState(1, "vcpu-one"u8);
            w.WritePlatformState("platform"u8);
            w.WriteDeviceState("serial0", [1, 2, 3]);
            w.WriteDeviceState("pci:virtio-blk-xvda", []);
            beforeEnd?.Invoke(w);
            w.WriteEnd();
        }
        return output.ToArray();
    }

    /// <summary>Reads a whole stream (and its end) and returns the record types seen.</summary>
    public static List<SaveRecordType> ReadAll(byte[] bytes, SaveReaderLimits? limits = null, Stream? over = null)
    {
        using var reader = new SaveStreamReader(over ?? new MemoryStream(bytes), limits);
        var types = new List<SaveRecordType>();
        while (reader.TryReadRecord(out var record)) types.Add(record.Type);
        reader.ExpectEndOfStream();
        return types;
    }

    public static byte[] RawHeader(string name = "guest-1", uint version = SaveFormat.Version, uint flags = 0, ushort reserved = 0, byte[]? magic = null)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        var h = new byte[SaveFormat.HeaderFixedSize + nameBytes.Length + 4];
        (magic ?? SaveFormat.Magic.ToArray()).CopyTo(h, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), version);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(12), flags);
        Uuid.TryWriteBytes(h.AsSpan(16, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(32), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(34), reserved);
        nameBytes.CopyTo(h, SaveFormat.HeaderFixedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(h.Length - 4), Crc32C.Compute(h.AsSpan(0, h.Length - 4)));
        return h;
    }

    public static byte[] RawRecord(uint type, ReadOnlySpan<byte> payload, uint reserved = 0, ulong? length = null)
    {
        var r = new byte[SaveFormat.RecordHeaderSize + payload.Length + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(r, type);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), reserved);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(8), length ?? (ulong)payload.Length);
        payload.CopyTo(r.AsSpan(SaveFormat.RecordHeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(r.Length - 4), Crc32C.Compute(r.AsSpan(0, r.Length - 4)));
        return r;
    }

    public static byte[] Config() => RawRecord((uint)SaveRecordType.DomainConfig, ConfigJson);

    public static byte[] RegionMap(params (ulong Gpa, ulong Size)[] regions)
    {
        var p = new byte[8 + 16 * regions.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(p, (uint)regions.Length);
        for (int i = 0; i < regions.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8 + 16 * i), regions[i].Gpa);
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(16 + 16 * i), regions[i].Size);
        }
        return RawRecord((uint)SaveRecordType.MemoryRegionMap, p);
    }

    public static byte[] End(ulong records, ulong data = 0, ulong zero = 0)
    {
        var p = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(p, records);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), data);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(16), zero);
        return RawRecord((uint)SaveRecordType.End, p);
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>A stream that hands out at most <paramref name="chunk"/> bytes per read, as a socket may.</summary>
    public sealed class Trickle(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
