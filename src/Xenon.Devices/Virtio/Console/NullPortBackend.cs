namespace Xenon.Devices.Virtio.Console;

/// <summary>A port with nothing behind it: never connected, no input, output discarded (and counted).</summary>
public sealed class NullPortBackend : IConsolePortBackend
{
    private long _discarded;

    public bool IsConnected => false;

    public bool HasInput => false;

    public long BytesDiscarded => Interlocked.Read(ref _discarded);

    public void Start(Action wake)
    {
    }

    public int Read(Span<byte> destination) => 0;

    public int Write(ReadOnlySpan<byte> source)
    {
        Interlocked.Add(ref _discarded, source.Length);
        return source.Length;
    }
}
