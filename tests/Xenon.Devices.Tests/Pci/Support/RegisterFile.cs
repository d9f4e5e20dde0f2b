using Xenon.Machine.Bus;

namespace Xenon.Devices.Tests.Pci.Support;

/// <summary>A BAR handler that is plain bytes: what is written reads back, and accesses are counted.</summary>
internal sealed class RegisterFile(int size) : IMmioDevice, IPioDevice
{
    private readonly byte[] _bytes = new byte[size];

    public int Reads { get; private set; }
    public int Writes { get; private set; }

    public byte this[int offset] => _bytes[offset];

    public void Read(ulong offset, Span<byte> data)
    {
        Reads++;
        for (int i = 0; i < data.Length; i++)
            data[i] = offset + (ulong)i < (ulong)_bytes.Length ? _bytes[(int)offset + i] : (byte)0xff;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Writes++;
        for (int i = 0; i < data.Length; i++)
            if (offset + (ulong)i < (ulong)_bytes.Length) _bytes[(int)offset + i] = data[i];
    }

    public void Read(ushort offset, Span<byte> data) => Read((ulong)offset, data);

    public void Write(ushort offset, ReadOnlySpan<byte> data) => Write((ulong)offset, data);
}
