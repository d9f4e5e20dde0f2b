using Xenon.Machine.Backend;

namespace Xenon.Machine.Soft.Platform;

/// <summary>
/// The interrupt controllers and timer the soft backend emulates itself, where KVM has them in the kernel: the PIC pair
/// and the PIT (with port 0x61). Their ports never reach the machine's port bus. The PIC's output goes to the boot vCPU.
/// </summary>
internal sealed class SoftPlatform : IDisposable
{
    public const int GsiCount = 24;

    private readonly SoftIrqLine[] _lines = new SoftIrqLine[GsiCount];
    private Action? _wakeBootVcpu;

    public SoftPlatform()
    {
        Pic = new DualPic(() => Volatile.Read(ref _wakeBootVcpu)?.Invoke());
        for (int i = 0; i < GsiCount; i++) _lines[i] = new SoftIrqLine(this, i);
        Pit = new Pit8254(() => _lines[0].Pulse(), () => Pic.Irq0Requested);
        Pic.Irq0Acknowledged = Pit.Irq0Taken;
    }

    public DualPic Pic { get; }
    public Pit8254 Pit { get; }

    /// <summary>Set by the boot vCPU: called whenever the PIC starts asserting its output.</summary>
    public void SetBootVcpuWake(Action? wake) => Volatile.Write(ref _wakeBootVcpu, wake);

    public IIrqLine Line(int gsi) => _lines[gsi];

    internal void SetLevel(int gsi, bool high)
    {
        // GSI 0–15 are the ISA IRQs (the PIC's inputs); 16–23 exist only on an IOAPIC, which this backend does not have yet.
        if (gsi < 16) Pic.SetIrq(gsi, high);
    }

    public bool TryRead(ushort port, int size, out uint value)
    {
        if (Pic.IsPicPort(port))
        {
            value = Pic.Read(port);
            return true;
        }
        if (Pit8254.IsPitPort(port))
        {
            value = Pit.Read(port);
            return true;
        }
        value = 0;
        return false;
    }

    public bool TryWrite(ushort port, int size, uint value)
    {
        if (Pic.IsPicPort(port))
        {
            Pic.Write(port, (byte)value);
            return true;
        }
        if (Pit8254.IsPitPort(port))
        {
            Pit.Write(port, (byte)value);
            return true;
        }
        return false;
    }

    public void Dispose() => Pit.Dispose();
}

/// <summary>A GSI of the soft platform: ISA IRQs reach the PIC pair.</summary>
internal sealed class SoftIrqLine(SoftPlatform platform, int gsi) : IIrqLine
{
    public int Gsi { get; } = gsi;

    public void SetLevel(bool high) => platform.SetLevel(Gsi, high);
}
