using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Platform;

/// <summary>The PIIX/ICH reset control register (port 0xcf9): writing bit 2 (RST_CPU) resets the machine.</summary>
/// <remarks>It sits inside the PCI configuration-address window (0xcf8–0xcfb); the bus cannot
/// overlap ranges, so whoever owns 0xcf8 must pass single-byte accesses at 0xcf9 here.</remarks>
public sealed class ResetControl : IPioDevice, IStatefulDevice
{
    private const byte ResetCpu = 0x04;

    private readonly IMachineControl _control;
    private byte _value;

    public ResetControl(IMachineControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        _control = control;
    }

    public void Register(PioBus bus) => bus.Register(LegacyPorts.ResetPort, 1, this);

    public void Read(ushort offset, Span<byte> data)
    {
        byte value = Volatile.Read(ref _value);
        for (int i = 0; i < data.Length; i++) data[i] = offset + i == 0 ? value : (byte)0xff;
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        if (offset != 0 || data.IsEmpty) return;
        byte value = data[0];
        // RST_CPU itself does not read back: the reset it triggers is the only trace.
        Volatile.Write(ref _value, (byte)(value & ~ResetCpu));
        if ((value & ResetCpu) != 0) _control.RequestShutdown(ShutdownReason.Reboot, "reset control register");
    }

    /// <summary>The id of the reset control register's saved state.</summary>
    public string StateId { get; init; } = "reset-control";

    public int SaveState(IBufferWriter<byte> output) => ResetControlStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) => StateApply.Apply(ResetControlStateCodec.Kind, ResetControlStateCodec.Read(state), SetState);

    public ResetControlState GetState() => new(Volatile.Read(ref _value));

    public void SetState(ResetControlState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Volatile.Write(ref _value, (byte)(state.Value & ~ResetCpu));
    }
}

/// <summary>The reset control register's saved form.</summary>
public sealed record ResetControlState(byte Value);
