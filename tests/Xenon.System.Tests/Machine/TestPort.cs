using Xenon.Machine.Bus;

namespace Xenon.System.Tests.Machine;

/// <summary>A debug port for machine-test guests: bytes written are recorded; a read returns <see cref="ReadValue"/>.</summary>
internal sealed class TestPort : IPioDevice
{
    private readonly List<byte> _written = [];
    private readonly ManualResetEventSlim _changed = new();

    public byte ReadValue { get; set; } = 0x99;

    public byte[] Written
    {
        get { lock (_written) return [.. _written]; }
    }

    public void Read(ushort offset, Span<byte> data) => data.Fill(ReadValue);

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        lock (_written) _written.Add(data[0]);
        _changed.Set();
    }

    /// <summary>Waits until at least <paramref name="count"/> bytes were written.</summary>
    public bool WaitFor(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Written.Length < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            _changed.Reset();
            if (Written.Length >= count) return true;
            _changed.Wait(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
        }
        return true;
    }
}

/// <summary>An MMIO window for machine-test guests: records writes, answers reads with a fixed pattern.</summary>
internal sealed class TestMmio : IMmioDevice
{
    private readonly List<(ulong Offset, byte[] Data)> _writes = [];

    public IReadOnlyList<(ulong Offset, byte[] Data)> Writes
    {
        get { lock (_writes) return [.. _writes]; }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(0xa0 + offset + (ulong)i);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_writes) _writes.Add((offset, data.ToArray()));
    }
}
