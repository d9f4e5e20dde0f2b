using Xenon.Devices.Pci.Msi;

namespace Xenon.Devices.Tests.Pci.Support;

internal sealed class FakeMsiSink : IMsiSink
{
    private readonly List<(ulong Address, uint Data)> _messages = [];

    public IReadOnlyList<(ulong Address, uint Data)> Messages
    {
        get { lock (_messages) return [.. _messages]; }
    }

    public void SignalMsi(ulong address, uint data)
    {
        lock (_messages) _messages.Add((address, data));
    }
}
