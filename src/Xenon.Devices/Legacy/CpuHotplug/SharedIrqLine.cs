using Xenon.Machine.Backend;

namespace Xenon.Devices.Legacy.CpuHotplug;

/// <summary>
/// One level-triggered interrupt wire driven by several devices (the SCI: the PM1 block and the GPE block): the
/// line is high while any source holds it high. A line's <see cref="IIrqLine.SetLevel"/> has a single level, so two
/// devices calling it directly would lower each other's interrupt.
/// </summary>
public sealed class SharedIrqLine
{
    private readonly Lock _lock = new();
    private readonly IIrqLine _line;
    private int _highSources;   // bit n: source n is high
    private int _sources;
    private bool _high;

    public SharedIrqLine(IIrqLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        _line = line;
    }

    /// <summary>A new input of the wire, low until its owner raises it. At most 32 sources.</summary>
    public IIrqLine AddSource()
    {
        lock (_lock)
        {
            if (_sources == 32) throw new InvalidOperationException("a shared interrupt line has at most 32 sources");
            return new Source(this, _sources++);
        }
    }

    private void Set(int source, bool high)
    {
        lock (_lock)
        {
            _highSources = high ? _highSources | (1 << source) : _highSources & ~(1 << source);
            bool any = _highSources != 0;
            if (any == _high) return;
            _high = any;
            // Under the lock: two sources changing at once must reach the wire in the order their levels were decided.
            _line.SetLevel(any);
        }
    }

    private sealed class Source(SharedIrqLine owner, int index) : IIrqLine
    {
        public int Gsi => owner._line.Gsi;
        public void SetLevel(bool high) => owner.Set(index, high);
    }
}
