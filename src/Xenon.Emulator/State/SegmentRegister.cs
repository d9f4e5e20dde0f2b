namespace Xenon.Emulator.State;

/// <summary>A segment register with its hidden (descriptor cache) part, as the CPU holds it after a load.</summary>
public struct SegmentRegister
{
    public ushort Selector;
    public ulong Base;
    public uint Limit;
    /// <summary>Descriptor bits 40..55 packed as type(4) S(1) DPL(2) P(1) AVL(1) L(1) D/B(1) G(1): the layout of the SVM VMCB "attrib" field.</summary>
    public ushort Attributes;

    public readonly int Type => Attributes & 0xF;
    public readonly bool IsSystem => (Attributes & 0x10) == 0;
    public readonly int Dpl => (Attributes >> 5) & 3;
    public readonly bool Present => (Attributes & 0x80) != 0;
    public readonly bool Long => (Attributes & 0x200) != 0;
    public readonly bool DefaultBig => (Attributes & 0x400) != 0;
    public readonly bool Granular => (Attributes & 0x800) != 0;

    /// <summary>A real-mode style segment: base = selector × 16, 64 KiB limit, present read/write data (or code for CS).</summary>
    public static SegmentRegister RealMode(ushort selector, bool code) => new()
    {
        Selector = selector,
        Base = (ulong)selector << 4,
        Limit = 0xFFFF,
        Attributes = (ushort)(0x90 | (code ? 0xB : 0x3)),
    };

    /// <summary>Builds the hidden part from an 8-byte descriptor (the 64-bit base extension of system descriptors is applied by the caller).</summary>
    public static SegmentRegister FromDescriptor(ushort selector, ulong d)
    {
        uint limit = (uint)(d & 0xFFFF) | (uint)((d >> 32) & 0xF0000);
        ushort attr = (ushort)(((d >> 40) & 0xFF) | ((d >> 44) & 0xF00));
        if ((attr & 0x800) != 0) limit = (limit << 12) | 0xFFF;
        return new SegmentRegister
        {
            Selector = selector,
            Base = ((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000),
            Limit = limit,
            Attributes = attr,
        };
    }
}

/// <summary>GDTR/IDTR.</summary>
public struct DescriptorTableRegister
{
    public ulong Base;
    public ushort Limit;
}

/// <summary>Segment register indices, in the hardware encoding order (ModRM reg field of MOV Sreg).</summary>
public static class Seg
{
    public const int Es = 0, Cs = 1, Ss = 2, Ds = 3, Fs = 4, Gs = 5;
}
