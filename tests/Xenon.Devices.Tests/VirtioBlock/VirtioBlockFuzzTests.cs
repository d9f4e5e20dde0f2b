using System.Buffers.Binary;
using Xenon.Devices.Virtio.Block;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>
/// Random requests, well-formed and hostile, checked against an independent model: the expected
/// status and used length of each request, a shadow copy of the disk, untouched data buffers on
/// failure, an image that never changes size, and guest memory no request named left intact.
/// </summary>
public sealed class VirtioBlockFuzzTests
{
    private const int Sectors = 64;
    private const ulong Scratch = 0x200000;
    private const ulong Canary = 0x800000;
    private const int CanaryLength = 0x80000;
    private const ulong OutsideRam = 0x1_0000_0000;

    private static readonly uint[] Types =
    [
        (uint)BlockRequestType.In, (uint)BlockRequestType.Out, (uint)BlockRequestType.GetId,
        (uint)BlockRequestType.Discard, (uint)BlockRequestType.WriteZeroes, 3, 10, 14, 0xFFFF_FFFF,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomRequestsMatchModel(int seed)
    {
        using var rig = new BlockRig(sectors: Sectors, serial: "fuzz-serial");
        var rng = new Random(seed);
        var shadow = (byte[])rig.Initial.Clone();
        var canary = new byte[CanaryLength];
        new Random(~seed).NextBytes(canary);
        rig.Memory.Write(Canary, canary);
        var outcomes = new int[5]; // Ok, IoError, Unsupported, chain fault, no status byte

        for (int iteration = 0; iteration < 5000; iteration++)
        {
            var request = Build(rig, rng);
            var buffers = request.Buffers;
            ushort before = rig.Driver.UsedIdx;
            rig.Driver.Offer(rig.Driver.AddChain([.. buffers]));
            rig.Device.QueueNotify(0);
            string what = $"seed {seed} iteration {iteration}: {request}";
            Assert.True(rig.Driver.UsedIdx == (ushort)(before + 1), $"no completion for {what}");
            uint used = rig.Driver.UsedElement(before).Length;
            outcomes[Check(rig, request, used, shadow, what)]++;
            if (iteration % 500 == 0) Assert.True(shadow.AsSpan().SequenceEqual(rig.ImageBytes()), $"image differs from model after {what}");
        }

        // The generator must reach every outcome often, or the model comparison proves little.
        Assert.True(outcomes.All(n => n >= 50), $"outcome counts too low: [{string.Join(", ", outcomes)}]");
        Assert.Empty(rig.Interrupt.NeedsResetReasons);
        Assert.Equal(rig.Initial.Length, rig.ImageBytes().Length);
        Assert.Equal(shadow, rig.ImageBytes());
        Assert.Equal(canary, rig.GuestBytes(Canary, CanaryLength));
    }

    private sealed record FuzzRequest(
        List<(ulong Address, uint Length, bool Writable)> Buffers, uint Type, ulong Sector, byte[] Readable,
        bool ChainFault, ulong WritableBytes, uint SegmentFlags)
    {
        public override string ToString()
            => $"type {Type} sector {Sector} readable {Readable.Length} writable {WritableBytes} fault {ChainFault} flags {SegmentFlags} buffers [{string.Join(", ", Buffers.Select(b => $"0x{b.Address:x}+{b.Length}{(b.Writable ? "w" : "r")}"))}]";
    }

    private static FuzzRequest Build(BlockRig rig, Random rng)
    {
        uint type = Types[rng.Next(Types.Length)];
        ulong sector = rng.Next(10) switch
        {
            < 6 => (ulong)rng.Next(Sectors),
            < 8 => (ulong)(Sectors - 4 + rng.Next(8)),
            8 => (ulong)rng.NextInt64() | (1UL << 63),
            _ => 1UL << rng.Next(54, 64),
        };
        int dataLength = rng.Next(10) < 7 ? 512 * rng.Next(1, 9) : rng.Next(1, 5000);
        uint flags = rng.Next(8) == 0 ? (uint)rng.Next(4) : 0;

        // The readable stream: header, then data (OUT) or one discard/write-zeroes segment.
        var stream = new List<byte>();
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)rng.Next());
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], sector);
        bool shortHeader = rng.Next(20) == 0;
        stream.AddRange(shortHeader ? header[..rng.Next(1, 16)].ToArray() : header.ToArray());
        if (!shortHeader)
        {
            if (type == (uint)BlockRequestType.Out)
            {
                var data = new byte[dataLength];
                rng.NextBytes(data);
                stream.AddRange(data);
            }
            else if (type is (uint)BlockRequestType.Discard or (uint)BlockRequestType.WriteZeroes)
            {
                int segments = rng.Next(10) == 0 ? rng.Next(0, 3) : 1;
                for (int i = 0; i < segments; i++)
                {
                    var s = new byte[16];
                    BinaryPrimitives.WriteUInt64LittleEndian(s, sector);
                    BinaryPrimitives.WriteUInt32LittleEndian(s[8..], rng.Next(10) == 0 ? (uint)rng.Next() : (uint)rng.Next(1, 9));
                    BinaryPrimitives.WriteUInt32LittleEndian(s[12..], flags);
                    stream.AddRange(s.ToArray());
                }
                if (rng.Next(20) == 0) stream.RemoveRange(stream.Count - 1, 1);
            }
        }
        byte[] readable = [.. stream];

        var buffers = new List<(ulong, uint, bool)>();
        ulong next = Scratch;
        ulong Place(int length)
        {
            ulong at = next + (ulong)rng.Next(0, 64);
            next = at + (ulong)length;
            return at;
        }
        // Readable stream split into 1..4 buffers at random points.
        int offset = 0;
        while (offset < readable.Length)
        {
            int piece = rng.Next(4) == 0 ? readable.Length - offset : rng.Next(1, readable.Length - offset + 1);
            ulong at = Place(piece);
            rig.Memory.Write(at, readable.AsSpan(offset, piece));
            buffers.Add((at, (uint)piece, false));
            offset += piece;
        }
        // Writable part: data for IN / GET_ID, then the status byte (sometimes merged, sometimes missing).
        int writableData = type is (uint)BlockRequestType.In or (uint)BlockRequestType.GetId ? (type == (uint)BlockRequestType.GetId ? rng.Next(0, 40) : dataLength) : 0;
        int statusMode = rng.Next(20);
        int writableTotal = writableData + (statusMode == 0 ? 0 : 1);
        ulong writableBytes = 0;
        int w = 0;
        while (w < writableTotal)
        {
            int piece = rng.Next(3) == 0 ? writableTotal - w : rng.Next(1, writableTotal - w + 1);
            ulong at = Place(piece);
            rig.Memory.GetSpan(at, piece).Fill(0xCC);
            buffers.Add((at, (uint)piece, true));
            w += piece;
            writableBytes += (ulong)piece;
        }

        // Hostile descriptors the queue must reject as a chain fault.
        bool chainFault = false;
        if (rng.Next(30) == 0 && buffers.Count > 0)
        {
            int i = rng.Next(buffers.Count);
            var b = buffers[i];
            buffers[i] = rng.Next(3) switch
            {
                0 => (b.Item1, 0u, b.Item3),
                1 => (OutsideRam + (ulong)rng.Next(), b.Item2, b.Item3),
                _ => (16 * 1024 * 1024 - 1, Math.Max(2u, b.Item2), b.Item3),
            };
            chainFault = true;
        }
        if (buffers.Count == 0) buffers.Add((Scratch, 1, true));
        return new FuzzRequest(buffers, type, sector, readable, chainFault, buffers.Where(b => b.Item3).Aggregate(0UL, (a, b) => a + b.Item2), flags);
    }

    /// <summary>Checks one completion against the model; returns the outcome's index for the coverage count.</summary>
    private static int Check(BlockRig rig, FuzzRequest r, uint used, byte[] shadow, string what)
    {
        if (r.ChainFault)
        {
            Assert.True(used == 0, $"chain fault completed with {used}: {what}");
            return 3;
        }
        if (r.WritableBytes == 0)
        {
            Assert.True(used == 0, $"no status byte, used {used}: {what}");
            return 4;
        }
        var writable = r.Buffers.Where(b => b.Writable).ToList();
        var last = writable[^1];
        var status = (BlockStatus)rig.Memory.Read<byte>(last.Address + last.Length - 1);
        ulong dataOut = (ulong)r.Readable.Length - Math.Min(16UL, (ulong)r.Readable.Length);
        ulong dataIn = r.WritableBytes - 1;

        var (expected, expectedUsed) = Expect(r, dataOut, dataIn);
        Assert.True(expected == status, $"status {status}, expected {expected}: {what}");
        Assert.True(expectedUsed == used, $"used {used}, expected {expectedUsed}: {what}");

        byte[] guestIn = Gather(rig, writable, (int)dataIn);
        switch ((BlockRequestType)r.Type)
        {
            case BlockRequestType.In when status == BlockStatus.Ok:
                Assert.True(shadow.AsSpan((int)r.Sector * 512, (int)dataIn).SequenceEqual(guestIn), $"read data differs from model: {what}");
                break;
            case BlockRequestType.Out when status == BlockStatus.Ok:
                r.Readable.AsSpan(16).CopyTo(shadow.AsSpan((int)r.Sector * 512));
                break;
            case BlockRequestType.WriteZeroes when status == BlockStatus.Ok:
                uint n = BinaryPrimitives.ReadUInt32LittleEndian(r.Readable.AsSpan(24));
                shadow.AsSpan((int)r.Sector * 512, (int)n * 512).Clear();
                break;
            case BlockRequestType.GetId when status == BlockStatus.Ok:
                var id = new byte[20];
                "fuzz-serial"u8.CopyTo(id);
                int k = Math.Min(20, (int)dataIn);
                Assert.True(id.AsSpan(0, k).SequenceEqual(guestIn.AsSpan(0, k)), $"GET_ID data wrong: {what}");
                Assert.All(guestIn.Skip(k), b => Assert.Equal(0xCC, b));
                break;
            default:
                // A failed or data-less request writes nothing but its status byte.
                Assert.True(guestIn.All(b => b == 0xCC), $"data buffers written on {status}: {what}");
                break;
        }
        return (int)status;
    }

    /// <summary>The spec's (and this device's documented) answer to a request, computed independently.</summary>
    private static (BlockStatus, uint) Expect(FuzzRequest r, ulong dataOut, ulong dataIn)
    {
        if (r.Readable.Length < 16) return (BlockStatus.IoError, 1u);
        bool InDisk(ulong sector, ulong sectors) => sector <= Sectors && sectors <= Sectors - sector;
        bool DataOk(ulong length) => length % 512 == 0 && InDisk(r.Sector, length / 512);
        switch ((BlockRequestType)r.Type)
        {
            case BlockRequestType.In:
                return DataOk(dataIn) ? (BlockStatus.Ok, (uint)dataIn + 1) : (BlockStatus.IoError, 1u);
            case BlockRequestType.Out:
                return DataOk(dataOut) ? (BlockStatus.Ok, 1u) : (BlockStatus.IoError, 1u);
            case BlockRequestType.GetId:
                return dataIn == 0 ? (BlockStatus.IoError, 1u) : (BlockStatus.Ok, (uint)Math.Min(20UL, dataIn) + 1);
            case BlockRequestType.Discard or BlockRequestType.WriteZeroes:
                bool wz = r.Type == (uint)BlockRequestType.WriteZeroes;
                if (dataOut == 0 || dataOut % 16 != 0) return (BlockStatus.IoError, 1u);
                if (dataOut != 16) return (BlockStatus.Unsupported, 1u);
                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(r.Readable.AsSpan(28));
                if ((flags & ~(wz ? 1u : 0u)) != 0) return (BlockStatus.Unsupported, 1u);
                uint sectors = BinaryPrimitives.ReadUInt32LittleEndian(r.Readable.AsSpan(24));
                uint max = wz ? Xenon.Devices.Virtio.Block.VirtioBlock.MaxWriteZeroesSectors : Xenon.Devices.Virtio.Block.VirtioBlock.MaxDiscardSectors;
                ulong start = BinaryPrimitives.ReadUInt64LittleEndian(r.Readable.AsSpan(16));
                return sectors <= max && InDisk(start, sectors) ? (BlockStatus.Ok, 1u) : (BlockStatus.IoError, 1u);
            default:
                return (BlockStatus.Unsupported, 1u);
        }
    }

    private static byte[] Gather(BlockRig rig, List<(ulong Address, uint Length, bool Writable)> writable, int length)
    {
        var bytes = new byte[length];
        int done = 0;
        foreach (var b in writable)
        {
            int n = Math.Min(length - done, (int)b.Length);
            if (n <= 0) break;
            rig.Memory.Read(b.Address, bytes.AsSpan(done, n));
            done += n;
        }
        return bytes;
    }
}
