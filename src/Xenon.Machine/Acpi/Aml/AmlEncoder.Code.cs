namespace Xenon.Machine.Acpi.Aml;

/// <summary>
/// The imperative part of AML the CPU hotplug methods need: control methods, operation regions and
/// fields, a mutex, locals and arguments, Store/And/Increment, comparisons, If/Else/While, Notify,
/// Return and method calls (ACPI 6.5, section 20.2.5). Encodings only; nothing is evaluated here.
/// </summary>
internal static partial class AmlEncoder
{
    private const byte MethodOp = 0x14, StoreOp = 0x70, AndOp = 0x7b, IncrementOp = 0x75;
    private const byte LAndOp = 0x90, LNotOp = 0x92, LEqualOp = 0x93, LLessOp = 0x95;
    private const byte IfOp = 0xa0, ElseOp = 0xa1, WhileOp = 0xa2, ReturnOp = 0xa4, NotifyOp = 0x86;
    private const byte MutexOp = 0x01, AcquireOp = 0x23, ReleaseOp = 0x27, OpRegionOp = 0x80, FieldOp = 0x81;
    private const byte Local0Op = 0x60, Arg0Op = 0x68;

    /// <summary>Operation region space SystemIO (I/O ports).</summary>
    public const byte RegionSystemIo = 0x01;

    /// <summary>Field flags: AccessType ByteAcc, NoLock, UpdateRule WriteAsZeros (so writing one field never rewrites
    /// its neighbours with what was read).</summary>
    public const byte FieldByteAccWriteAsZeros = 0x01 | (0x02 << 5);

    /// <summary>Field flags: AccessType DWordAcc, NoLock, UpdateRule WriteAsZeros: a 32-bit field is read or written
    /// with one 32-bit access instead of four byte accesses (each an exit to the VMM for an I/O port).</summary>
    public const byte FieldDWordAccWriteAsZeros = 0x03 | (0x02 << 5);

    /// <summary>Acquire's timeout that means "wait for ever".</summary>
    public const ushort WaitForever = 0xffff;

    /// <summary>LocalN (N = 0..7).</summary>
    public static byte[] Local(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 7);
        return [(byte)(Local0Op + n)];
    }

    /// <summary>ArgN (N = 0..6).</summary>
    public static byte[] Arg(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 6);
        return [(byte)(Arg0Op + n)];
    }

    /// <summary>Method(name, argCount, NotSerialized) { body }.</summary>
    public static byte[] Method(string name, int argCount, params byte[][] body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(argCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(argCount, 7);
        return Concat([MethodOp], PackageLength(Concat(NameString(name), [(byte)argCount]), body));
    }

    /// <summary>A call of a method defined elsewhere: its name followed by exactly its argument count of terms.</summary>
    public static byte[] Call(string name, params byte[][] args) => Concat([NameString(name), .. args]);

    /// <summary>OperationRegion(name, space, offset, length).</summary>
    public static byte[] OperationRegion(string name, byte space, ulong offset, ulong length)
        => Concat([ExtOpPrefix, OpRegionOp], NameString(name), [space], Integer(offset), Integer(length));

    /// <summary>Field(region, flags) { name, bits; ... }: the fields are laid out in order from bit 0 of the region.</summary>
    public static byte[] Field(string region, byte flags, params (string Name, int Bits)[] fields)
        => FieldAt(region, flags, 0, fields);

    /// <summary>Field(region, flags) { Offset(bitOffset / 8), name, bits; ... }: the fields are laid out in order from
    /// bit <paramref name="bitOffset"/> of the region (the bits before it are an unnamed reserved field).</summary>
    public static byte[] FieldAt(string region, byte flags, int bitOffset, params (string Name, int Bits)[] fields)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bitOffset);
        var list = new List<byte[]>();
        // ReservedField := 0x00 PkgLength: skips that many bits.
        if (bitOffset > 0) list.Add(Concat([0x00], FieldWidth(bitOffset)));
        foreach (var (name, bits) in fields)
        {
            if (bits <= 0) throw new ArgumentOutOfRangeException(nameof(fields), bits, $"field {name} needs a positive width");
            var segment = NameString(name);
            if (segment.Length != 4) throw new ArgumentException($"a field name is one name segment, not '{name}'", nameof(fields));
            // A field's width is encoded like a PkgLength (its value is the bit count, not counting itself).
            list.Add(Concat(segment, FieldWidth(bits)));
        }
        return Concat([ExtOpPrefix, FieldOp], PackageLength(Concat(NameString(region), [flags]), [.. list]));
    }

    /// <summary>Mutex(name, syncLevel).</summary>
    public static byte[] Mutex(string name, int syncLevel = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(syncLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(syncLevel, 15);
        return Concat([ExtOpPrefix, MutexOp], NameString(name), [(byte)syncLevel]);
    }

    public static byte[] Acquire(string mutex, ushort timeout = WaitForever)
        => Concat([ExtOpPrefix, AcquireOp], NameString(mutex), [(byte)timeout, (byte)(timeout >> 8)]);

    public static byte[] Release(string mutex) => Concat([ExtOpPrefix, ReleaseOp], NameString(mutex));

    /// <summary>Store(source, target): <paramref name="target"/> is a name, LocalN or ArgN.</summary>
    public static byte[] Store(byte[] source, byte[] target) => Concat([StoreOp], source, target);

    /// <summary>And(a, b) with no target: the value of the expression.</summary>
    public static byte[] And(byte[] a, byte[] b) => Concat([AndOp], a, b, [0x00]);

    public static byte[] Increment(byte[] target) => Concat([IncrementOp], target);

    public static byte[] LEqual(byte[] a, byte[] b) => Concat([LEqualOp], a, b);

    public static byte[] LLess(byte[] a, byte[] b) => Concat([LLessOp], a, b);

    public static byte[] LNot(byte[] a) => Concat([LNotOp], a);

    public static byte[] LAnd(byte[] a, byte[] b) => Concat([LAndOp], a, b);

    public static byte[] If(byte[] predicate, params byte[][] body) => Concat([IfOp], PackageLength(predicate, body));

    public static byte[] Else(params byte[][] body) => Concat([ElseOp], PackageLength([], body));

    public static byte[] While(byte[] predicate, params byte[][] body) => Concat([WhileOp], PackageLength(predicate, body));

    public static byte[] Return(byte[] value) => Concat([ReturnOp], value);

    /// <summary>Notify(object, value): <paramref name="target"/> is the object's name.</summary>
    public static byte[] Notify(string target, byte[] value) => Concat([NotifyOp], NameString(target), value);

    /// <summary>The bit count of a field entry, in PkgLength's encoding but without counting its own bytes.</summary>
    internal static byte[] FieldWidth(int bits)
    {
        if (bits < 0x40) return [(byte)bits];
        if (bits < 1 << 12) return [(byte)(0x40 | (bits & 0x0f)), (byte)(bits >> 4)];
        if (bits < 1 << 20) return [(byte)(0x80 | (bits & 0x0f)), (byte)(bits >> 4), (byte)(bits >> 12)];
        if (bits < 1 << 28) return [(byte)(0xc0 | (bits & 0x0f)), (byte)(bits >> 4), (byte)(bits >> 12), (byte)(bits >> 20)];
        throw new ArgumentOutOfRangeException(nameof(bits), bits, "field too wide");
    }
}
