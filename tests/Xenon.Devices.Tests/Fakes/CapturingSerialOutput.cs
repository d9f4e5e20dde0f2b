using System.Text;
using Xenon.Devices.Legacy.Serial;

namespace Xenon.Devices.Tests.Fakes;

internal sealed class CapturingSerialOutput : ISerialOutput
{
    private readonly List<byte> _bytes = [];

    public byte[] Bytes
    {
        get { lock (_bytes) return [.. _bytes]; }
    }

    public string Text => Encoding.ASCII.GetString(Bytes);

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_bytes) _bytes.AddRange(data);
    }
}
