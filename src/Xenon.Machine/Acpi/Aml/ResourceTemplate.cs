namespace Xenon.Machine.Acpi.Aml;

/// <summary>
/// Builds the byte list of an ASL ResourceTemplate (small resource descriptors plus the end
/// tag) and wraps it in an AML Buffer.
/// </summary>
internal sealed class ResourceTemplate
{
    private const byte IoDescriptor = 0x47;          // small item 0x08, length 7
    private const byte IrqNoFlagsDescriptor = 0x22;  // small item 0x04, length 2
    private const byte EndTag = 0x79;                // small item 0x0f, length 1
    private const byte Decode16 = 0x01;
    private const byte WordAddressDescriptor = 0x88, DWordAddressDescriptor = 0x87, QWordAddressDescriptor = 0x8a;
    private const byte MemoryRange = 0, IoRange = 1, BusNumberRange = 2;

    // General flags of an address-space descriptor for a bridge window: produced for children (bit 0 clear),
    // positive decode, minimum and maximum fixed (bits 2 and 3).
    private const byte ProducerFixedWindow = 0x0c;
    private const byte MemoryReadWriteNonCacheable = 0x01;
    private const byte IoEntireRange = 0x03;

    private readonly List<byte> _bytes = [];

    /// <summary>IO(Decode16, min, max, alignment, length).</summary>
    public ResourceTemplate Io(ushort minimum, ushort maximum, byte alignment, byte length)
    {
        if (maximum < minimum) throw new ArgumentException($"IO range maximum 0x{maximum:x} is below minimum 0x{minimum:x}");
        _bytes.AddRange([IoDescriptor, Decode16,
            (byte)minimum, (byte)(minimum >> 8), (byte)maximum, (byte)(maximum >> 8), alignment, length]);
        return this;
    }

    /// <summary>IRQNoFlags(){irqs}: edge-triggered, active-high ISA interrupts.</summary>
    public ResourceTemplate IrqNoFlags(params int[] irqs)
    {
        ushort mask = 0;
        foreach (var irq in irqs)
        {
            if (irq is < 0 or > 15) throw new ArgumentOutOfRangeException(nameof(irqs), irq, "ISA IRQs are 0-15");
            mask |= (ushort)(1 << irq);
        }
        _bytes.AddRange([IrqNoFlagsDescriptor, (byte)mask, (byte)(mask >> 8)]);
        return this;
    }

    /// <summary>WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, count).</summary>
    public ResourceTemplate WordBusNumber(ushort minimum, ushort maximum) =>
        Address(WordAddressDescriptor, 2, BusNumberRange, 0, minimum, maximum);

    /// <summary>WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, length): an I/O port window.</summary>
    public ResourceTemplate WordIo(ushort minimum, ushort maximum) =>
        Address(WordAddressDescriptor, 2, IoRange, IoEntireRange, minimum, maximum);

    /// <summary>DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, min, max, 0, length).</summary>
    public ResourceTemplate DWordMemory(uint minimum, uint maximum) =>
        Address(DWordAddressDescriptor, 4, MemoryRange, MemoryReadWriteNonCacheable, minimum, maximum);

    /// <summary>QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, min, max, 0, length).</summary>
    public ResourceTemplate QWordMemory(ulong minimum, ulong maximum) =>
        Address(QWordAddressDescriptor, 8, MemoryRange, MemoryReadWriteNonCacheable, minimum, maximum);

    // Large item: tag, 16-bit length, type, general flags, type flags, then granularity, minimum, maximum,
    // translation offset and length, each `width` bytes (ACPI 6.4 §6.4.3.5.1–3).
    private ResourceTemplate Address(byte tag, int width, byte type, byte typeFlags, ulong minimum, ulong maximum)
    {
        if (maximum < minimum) throw new ArgumentException($"address range maximum 0x{maximum:x} is below minimum 0x{minimum:x}");
        int length = 3 + 5 * width;
        _bytes.AddRange([tag, (byte)length, (byte)(length >> 8), type, ProducerFixedWindow, typeFlags]);
        AddLittleEndian(0, width);
        AddLittleEndian(minimum, width);
        AddLittleEndian(maximum, width);
        AddLittleEndian(0, width);
        AddLittleEndian(maximum - minimum + 1, width);
        return this;
    }

    private void AddLittleEndian(ulong value, int width)
    {
        for (int i = 0; i < width; i++) _bytes.Add((byte)(value >> (8 * i)));
    }

    /// <summary>The descriptors followed by the end tag, whose checksum makes all bytes sum to zero.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[_bytes.Count + 2];
        _bytes.CopyTo(bytes);
        bytes[^2] = EndTag;
        bytes[^1] = AcpiTableWriter.Checksum(bytes.AsSpan(0, bytes.Length - 1));
        return bytes;
    }

    public byte[] ToAmlBuffer() => AmlEncoder.Buffer(ToBytes());
}
