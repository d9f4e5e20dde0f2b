using Xenon.Devices.Legacy.Acpi;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.CpuHotplug;

/// <summary>
/// The FADT's GPE0 block: 16 general-purpose event status bits (bytes 0–1, write one to clear) and their enables
/// (bytes 2–3). The SCI is high while an enabled event's status is set. Platform devices raise events with
/// <see cref="Raise"/>; the guest's ACPI driver runs the DSDT's \_GPE._Exx method for each.
/// </summary>
public sealed class GpeBlock : IPioDevice
{
    public const int Length = 4;
    public const int EventCount = 16;

    private readonly Lock _lock = new();
    private readonly IIrqLine _sci;
    private ushort _status;
    private ushort _enable;
    private bool _sciHigh;

    public GpeBlock(IIrqLine sci)
    {
        ArgumentNullException.ThrowIfNull(sci);
        _sci = sci;
    }

    public void Register(PioBus bus, ushort port) => bus.Register(port, Length, this);

    /// <summary>Sets event <paramref name="gpe"/>'s status bit (the guest sees it once it enables the event).</summary>
    public void Raise(int gpe)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gpe);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(gpe, EventCount);
        lock (_lock)
        {
            _status |= (ushort)(1 << gpe);
            UpdateSciLocked();
        }
    }

    public ushort Status
    {
        get { lock (_lock) return _status; }
    }

    public ushort Enable
    {
        get { lock (_lock) return _enable; }
    }

    public void Read(ushort offset, Span<byte> data)
    {
        lock (_lock)
        {
            EventRegisterPair.Read(_status, _enable, offset, data);
        }
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            EventRegisterPair.Write(ref _status, ref _enable, 0xffff, offset, data);
            // Once per access, so a 16-bit write cannot glitch the level-triggered SCI between its bytes.
            UpdateSciLocked();
        }
    }

    /// <summary>Restores status and enables (a saved domain), and the SCI level they imply.</summary>
    public void SetState(ushort status, ushort enable)
    {
        lock (_lock)
        {
            _status = status;
            _enable = enable;
            UpdateSciLocked();
        }
    }

    private void UpdateSciLocked()
    {
        bool high = (_status & _enable) != 0;
        if (high == _sciHigh) return;
        _sciHigh = high;
        _sci.SetLevel(high);
    }
}
