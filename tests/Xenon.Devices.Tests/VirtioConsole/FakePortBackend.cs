using Xenon.Devices.Virtio.Console;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>A port backend the test drives by hand: input it queues, output it collects (up to a capacity), a connection flag.</summary>
internal sealed class FakePortBackend(bool connected = true, int outputCapacity = int.MaxValue) : IConsolePortBackend
{
    private readonly Queue<byte> _input = new();

    public Action? Wake { get; private set; }
    public int Starts { get; private set; }
    public bool Connected { get; set; } = connected;
    public List<byte> Output { get; } = [];
    public int OutputCapacity { get; set; } = outputCapacity;

    public bool IsConnected => Connected;

    public bool HasInput => _input.Count > 0;

    public void Start(Action wake)
    {
        Starts++;
        Wake = wake;
    }

    public void Feed(params byte[] bytes)
    {
        foreach (var b in bytes) _input.Enqueue(b);
    }

    public int Read(Span<byte> destination)
    {
        int n = 0;
        while (n < destination.Length && _input.Count > 0) destination[n++] = _input.Dequeue();
        return n;
    }

    public int Write(ReadOnlySpan<byte> source)
    {
        int n = Math.Min(source.Length, OutputCapacity - Output.Count);
        for (int i = 0; i < n; i++) Output.Add(source[i]);
        return n;
    }
}
