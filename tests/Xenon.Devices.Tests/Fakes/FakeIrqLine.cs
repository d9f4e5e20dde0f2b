using Xenon.Machine.Backend;

namespace Xenon.Devices.Tests.Fakes;

/// <summary>Records every level a device drives onto its interrupt line.</summary>
internal sealed class FakeIrqLine(int gsi = 0) : IIrqLine
{
    private readonly List<bool> _levels = [];

    public int Gsi => gsi;

    public bool Level { get; private set; }

    public IReadOnlyList<bool> Levels
    {
        get { lock (_levels) return [.. _levels]; }
    }

    public void SetLevel(bool high)
    {
        lock (_levels)
        {
            _levels.Add(high);
            Level = high;
        }
    }

    public override string ToString() => $"IRQ {gsi} level={Level} history=[{string.Join(",", Levels.Select(l => l ? 1 : 0))}]";
}
