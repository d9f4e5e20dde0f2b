using Xenon.Machine.State;

namespace Xenon.Machine.Soft.Platform;

/// <summary>The soft PIC pair, IOAPIC and PIT to and from the backend-neutral <see cref="PlatformState"/> (the fields KVM's
/// irqchip and PIT2 state use, so a state moves between backends where both model the same device).</summary>
internal static class SoftPlatformStateTransfer
{
    public static PlatformState Capture(SoftPlatform platform)
    {
        var state = new PlatformState();
        platform.Pic.WithLock(pic =>
        {
            state.PicMaster = ToState(pic.Master);
            state.PicSlave = ToState(pic.Slave);
        });
        state.Pit = platform.Pit.Inspect((channels, now) =>
        {
            var pit = new PitState();
            for (int i = 0; i < 3; i++)
            {
                var c = channels[i];
                pit.Channels[i] = new PitChannelState
                {
                    Count = (uint)c.Count,
                    LatchedCount = (ushort)Math.Max(c.LatchedCount, 0),
                    CountLatched = (byte)(c.LatchedCount >= 0 ? c.RwMode : 0),
                    StatusLatched = (byte)(c.LatchedStatus >= 0 ? 1 : 0),
                    Status = (byte)Math.Max(c.LatchedStatus, 0),
                    RwMode = (byte)c.RwMode,
                    Mode = c.Count == 0 && c.NullCount ? PitChannelState.NeverProgrammed : (byte)c.Mode,
                    Bcd = (byte)c.Bcd,
                    Gate = (byte)(c.Gate ? 1 : 0),
                    WriteLatch = c.WriteLatch,
                    WriteState = (byte)(c.WriteHigh ? 1 : 0),
                    ReadState = (byte)(c.ReadHigh ? 1 : 0),
                };
            }
            return pit;
        });
        state.Ioapic = platform.IoApic.Capture();
        state.ClockNs = 0; // kvmclock belongs to the backend, which fills it in (SoftVmBackend.GetPlatformState)
        return state;
    }

    public static void Restore(SoftPlatform platform, PlatformState state)
    {
        platform.IoApic.Restore(state.Ioapic);
        platform.Pic.WithLock(pic =>
        {
            FromState(pic.Master, state.PicMaster);
            FromState(pic.Slave, state.PicSlave);
        });
        platform.Pit.Reconfigure(channels =>
        {
            long now = PitChannel.Now();
            for (int i = 0; i < 3 && i < state.Pit.Channels.Length; i++)
            {
                var s = state.Pit.Channels[i];
                var c = channels[i];
                if (s.Mode == PitChannelState.NeverProgrammed)
                {
                    c.Program(0, 3, 0);
                    continue;
                }
                c.Program(s.Mode, s.RwMode == 0 ? 3 : s.RwMode, s.Bcd);
                c.SetGate(s.Gate != 0, now);
                // the load time is not in the state: the count restarts now (as the KVM transfer does)
                if (s.Count != 0) c.Load((int)(s.Count & 0xffff), now);
                c.WriteLatch = s.WriteLatch;
                c.WriteHigh = s.WriteState != 0;
            }
        });
        // re-evaluate the PIC output against the restored registers
        platform.Pic.SetIrq(0, false);
    }

    private static PicState ToState(Pic8259 p) => new()
    {
        LastIrr = p.LastIrr, Irr = p.Irr, Imr = p.Imr, Isr = p.Isr, PriorityAdd = p.PriorityAdd, IrqBase = p.IrqBase,
        ReadRegSelect = p.ReadRegSelect, Poll = p.Poll, SpecialMask = p.SpecialMask, InitState = p.InitState, AutoEoi = p.AutoEoi,
        RotateOnAutoEoi = p.RotateOnAutoEoi, SpecialFullyNestedMode = p.SpecialFullyNestedMode, Init4 = p.Init4, Elcr = p.Elcr,
        ElcrMask = p.ElcrMask,
    };

    private static void FromState(Pic8259 p, in PicState s)
    {
        (p.LastIrr, p.Irr, p.Imr, p.Isr, p.PriorityAdd, p.IrqBase) = (s.LastIrr, s.Irr, s.Imr, s.Isr, s.PriorityAdd, s.IrqBase);
        (p.ReadRegSelect, p.Poll, p.SpecialMask, p.InitState, p.AutoEoi) = (s.ReadRegSelect, s.Poll, s.SpecialMask, s.InitState, s.AutoEoi);
        (p.RotateOnAutoEoi, p.SpecialFullyNestedMode, p.Init4) = (s.RotateOnAutoEoi, s.SpecialFullyNestedMode, s.Init4);
        p.Elcr = (byte)(s.Elcr & p.ElcrMask);
    }
}
