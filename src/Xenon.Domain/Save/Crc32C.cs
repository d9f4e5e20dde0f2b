using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Xenon.Domain.Save;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial and final value 0xFFFFFFFF), the checksum of the
/// save stream's records. SSE4.2's crc32 instruction computes exactly this one, eight bytes at a time; elsewhere a
/// table does it a byte at a time. Use <see cref="Append"/> with a running value that starts at <see cref="Initial"/>
/// and finish with <see cref="Finish"/>.
/// </summary>
public static class Crc32C
{
    public const uint Initial = 0xFFFF_FFFF;
    private const uint Polynomial = 0x82F6_3B78;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/> ("123456789" gives 0xE3069283).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Initial, data));

    public static uint Append(uint state, ReadOnlySpan<byte> data) =>
        Sse42.X64.IsSupported ? AppendSse42(state, data) : AppendSoftware(state, data);

    public static uint Finish(uint state) => ~state;

    /// <summary>The table-driven path, whatever the CPU (tests compare it with the hardware one).</summary>
    internal static uint AppendSoftware(uint state, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (byte b in data) state = table[(byte)(state ^ b)] ^ (state >> 8);
        return state;
    }

    private static uint AppendSse42(uint state, ReadOnlySpan<byte> data)
    {
        ulong crc = state;
        while (data.Length >= 8)
        {
            crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        uint crc32 = (uint)crc;
        foreach (byte b in data) crc32 = Sse42.Crc32(crc32, b);
        return crc32;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
