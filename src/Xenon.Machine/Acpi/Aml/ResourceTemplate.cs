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
