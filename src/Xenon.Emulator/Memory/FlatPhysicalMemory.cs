namespace Xenon.Emulator.Memory;

/// <summary>RAM in one managed array from guest-physical 0, plus optional MMIO callbacks above it. For tests and small guests.</summary>
public sealed class FlatPhysicalMemory : IStableRam
{
    private readonly byte[] _ram;

    // Pinned, so the CPU may keep host pointers to its pages (IStableRam).
    public FlatPhysicalMemory(int size) => _ram = GC.AllocateArray<byte>(size, pinned: true);

    public Span<byte> Ram => _ram;

    /// <summary>Called for reads outside RAM: (gpa, size) → value.</summary>
    public Func<ulong, int, ulong>? MmioRead { get; set; }

    /// <summary>Called for writes outside RAM: (gpa, size, value).</summary>
    public Action<ulong, int, ulong>? MmioWrite { get; set; }

    public Span<byte> GetRam(ulong gpa, int length) =>
        gpa < (ulong)_ram.Length && (ulong)_ram.Length - gpa >= (ulong)length ? _ram.AsSpan((int)gpa, length) : [];

    public ulong ReadMmio(ulong gpa, int size) =>
        MmioRead?.Invoke(gpa, size) ?? (size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1);

    public void WriteMmio(ulong gpa, int size, ulong value) => MmioWrite?.Invoke(gpa, size, value);
}
