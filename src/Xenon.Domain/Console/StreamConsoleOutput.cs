using Xenon.Devices.Legacy.Serial;

namespace Xenon.Domain.Console;

/// <summary>Console output to a stream (stdout, a log file). Flushed on every write so a reader sees
/// guest output as it happens.</summary>
public sealed class StreamConsoleOutput(Stream stream) : ISerialOutput
{
    private readonly object _lock = new();

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            stream.Write(data);
            stream.Flush();
        }
    }
}
