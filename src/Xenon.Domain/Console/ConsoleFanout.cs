using Xenon.Devices.Legacy.Serial;

namespace Xenon.Domain.Console;

/// <summary>Sends console output to every attached output. Attach/detach are rare and swap an array,
/// so the write path (vCPU thread) takes no lock.</summary>
public sealed class ConsoleFanout : ISerialOutput
{
    private ISerialOutput[] _outputs = [];
    private readonly object _lock = new();

    public void Attach(ISerialOutput output)
    {
        lock (_lock) _outputs = [.. _outputs, output];
    }

    public void Detach(ISerialOutput output)
    {
        lock (_lock) _outputs = Array.FindAll(_outputs, o => !ReferenceEquals(o, output));
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        foreach (var o in Volatile.Read(ref _outputs))
        {
            try { o.Write(data); }
            catch (IOException) { Detach(o); }
            catch (ObjectDisposedException) { Detach(o); }
        }
    }
}
