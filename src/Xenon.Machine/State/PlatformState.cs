using Xenon.Machine.Backend;

namespace Xenon.Machine.State;

/// <summary>
/// The VM-wide part of a machine's CPU-side state: the interrupt controllers (PIC pair, IOAPIC), the PIT, and the
/// paravirtual clock. Captured with <see cref="IVmBackend.GetPlatformState"/>, serialised with <see cref="PlatformStateCodec"/>.
/// </summary>
public sealed class PlatformState
{
    public PicState PicMaster;
    public PicState PicSlave;
    public IoapicState Ioapic { get; set; } = new();
    public PitState Pit { get; set; } = new();

    /// <summary>The guest's kvmclock (ns since its boot) at capture; it resumes from this value.</summary>
    public ulong ClockNs;
}

/// <summary>One i8259: registers and the initialisation-sequence state.</summary>
public struct PicState
{
    public byte LastIrr, Irr, Imr, Isr, PriorityAdd, IrqBase, ReadRegSelect, Poll, SpecialMask, InitState, AutoEoi,
        RotateOnAutoEoi, SpecialFullyNestedMode, Init4, Elcr, ElcrMask;
}

/// <summary>The IOAPIC: registers and its redirection table (raw 64-bit entries).</summary>
public sealed class IoapicState
{
    public const int Pins = 24;

    public ulong BaseAddress;
    public uint IoRegSel, Id, Irr;
    public ulong[] Redirection { get; set; } = new ulong[Pins];
}

/// <summary>The i8254: three counters and the flags (HPET legacy mode, speaker data).</summary>
public sealed class PitState
{
    public PitChannelState[] Channels { get; set; } = new PitChannelState[3];
    public uint Flags;
}

/// <summary>One i8254 counter. The time it was last loaded is not kept: a restore reloads each count at that moment.</summary>
public struct PitChannelState
{
    public uint Count;
    public ushort LatchedCount;
    /// <summary>The mode KVM reports for a channel that was never programmed since reset.</summary>
    public const byte NeverProgrammed = 0xff;

    public byte CountLatched, StatusLatched, Status, ReadState, WriteState, WriteLatch, RwMode, Mode, Bcd, Gate;
}
