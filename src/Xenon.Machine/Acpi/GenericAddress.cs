using System.Buffers.Binary;

namespace Xenon.Machine.Acpi;

/// <summary>ACPI Generic Address Structure (12 bytes): where a register lives and how to access it.</summary>
internal readonly record struct GenericAddress(byte AddressSpace, byte BitWidth, byte BitOffset, byte AccessSize, ulong Address)
{
    public const int Size = 12;
    public const byte SystemMemory = 0;
    public const byte SystemIo = 1;

    /// <summary>Access sizes as encoded in the structure: 1 = byte … 4 = qword.</summary>
    public const byte AccessByte = 1, AccessWord = 2, AccessDword = 3;

    public static GenericAddress Io(ushort port, int byteLength, byte accessSize)
        => new(SystemIo, (byte)(byteLength * 8), 0, accessSize, port);

    public static readonly GenericAddress None = default;

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = AddressSpace;
        destination[1] = BitWidth;
        destination[2] = BitOffset;
        destination[3] = AccessSize;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], Address);
    }
}
