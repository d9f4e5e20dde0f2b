namespace Xenon.Machine.State;

/// <summary>
/// The serialised form of a <see cref="PlatformState"/>, version 1: magic "XPLS", u16 version, u16 reserved (0), the
/// PIC master and slave (16 bytes each, kvm_pic_state order), the IOAPIC (base, IOREGSEL, id, IRR, u32 pin count = 24,
/// the entries), the PIT (u32 channel count = 3, each channel, flags), the kvmclock in ns. Little-endian.
/// </summary>
public static class PlatformStateCodec
{
    public const ushort Version = 1;

    private const string Record = "platform state";
    private static ReadOnlySpan<byte> Magic => "XPLS"u8;

    public static byte[] Encode(PlatformState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var w = new StateWriter();
        w.Magic(Magic, Version);
        WritePic(w, s.PicMaster);
        WritePic(w, s.PicSlave);

        var io = s.Ioapic;
        if (io.Redirection.Length != IoapicState.Pins) throw new ArgumentException($"IOAPIC has {io.Redirection.Length} pins, must be {IoapicState.Pins}");
        w.U64(io.BaseAddress);
        w.U32(io.IoRegSel);
        w.U32(io.Id);
        w.U32(io.Irr);
        w.U32(IoapicState.Pins);
        foreach (ulong e in io.Redirection) w.U64(e);

        if (s.Pit.Channels.Length != 3) throw new ArgumentException($"PIT has {s.Pit.Channels.Length} channels, must be 3");
        w.U32(3);
        foreach (var c in s.Pit.Channels)
        {
            w.U32(c.Count);
            w.U16(c.LatchedCount);
            foreach (byte b in (ReadOnlySpan<byte>)[c.CountLatched, c.StatusLatched, c.Status, c.ReadState, c.WriteState, c.WriteLatch, c.RwMode, c.Mode, c.Bcd, c.Gate])
                w.U8(b);
        }
        w.U32(s.Pit.Flags);
        w.U64(s.ClockNs);
        return w.ToArray();
    }

    public static PlatformState Decode(ReadOnlySpan<byte> data)
    {
        var r = new StateReader(data, Record);
        r.Magic(Magic, Version);
        var s = new PlatformState
        {
            PicMaster = ReadPic(ref r, "pic_master"),
            PicSlave = ReadPic(ref r, "pic_slave"),
        };

        var io = new IoapicState
        {
            BaseAddress = r.U64("ioapic.base_address"),
            IoRegSel = r.U32("ioapic.ioregsel"),
            Id = r.U32("ioapic.id"),
            Irr = r.U32("ioapic.irr"),
        };
        int at = r.Offset;
        uint pins = r.U32("ioapic.pins");
        if (pins != IoapicState.Pins) throw r.Error("ioapic.pins", at, $"is {pins}, must be {IoapicState.Pins}");
        for (int i = 0; i < IoapicState.Pins; i++) io.Redirection[i] = r.U64("ioapic.redirection");
        s.Ioapic = io;

        at = r.Offset;
        uint channels = r.U32("pit.channels");
        if (channels != 3) throw r.Error("pit.channels", at, $"is {channels}, must be 3");
        var pit = new PitState();
        for (int i = 0; i < 3; i++)
        {
            var c = new PitChannelState { Count = r.U32("pit.count") };
            at = r.Offset;
            if (c.Count > 0x10000) throw r.Error("pit.count", at - 4, $"is {c.Count}, above the i8254's 65536");
            c.LatchedCount = r.U16("pit.latched_count");
            c.CountLatched = r.U8("pit.count_latched");
            c.StatusLatched = r.U8("pit.status_latched");
            c.Status = r.U8("pit.status");
            c.ReadState = r.U8("pit.read_state");
            c.WriteState = r.U8("pit.write_state");
            c.WriteLatch = r.U8("pit.write_latch");
            c.RwMode = r.U8("pit.rw_mode");
            at = r.Offset;
            c.Mode = r.U8("pit.mode");
            // KVM marks a channel the guest never programmed with mode 0xff (its reset value)
            if (c.Mode > 5 && c.Mode != PitChannelState.NeverProgrammed)
                throw r.Error("pit.mode", at, $"is {c.Mode}, the i8254 has modes 0-5 (or 0xff: never programmed)");
            c.Bcd = r.U8("pit.bcd");
            c.Gate = r.U8("pit.gate");
            pit.Channels[i] = c;
        }
        pit.Flags = r.U32("pit.flags");
        s.Pit = pit;
        s.ClockNs = r.U64("clock_ns");
        r.End();
        return s;
    }

    private static void WritePic(StateWriter w, in PicState p)
    {
        foreach (byte b in (ReadOnlySpan<byte>)[p.LastIrr, p.Irr, p.Imr, p.Isr, p.PriorityAdd, p.IrqBase, p.ReadRegSelect, p.Poll,
                     p.SpecialMask, p.InitState, p.AutoEoi, p.RotateOnAutoEoi, p.SpecialFullyNestedMode, p.Init4, p.Elcr, p.ElcrMask])
            w.U8(b);
    }

    private static PicState ReadPic(ref StateReader r, string field) => new()
    {
        LastIrr = r.U8(field + ".last_irr"), Irr = r.U8(field + ".irr"), Imr = r.U8(field + ".imr"), Isr = r.U8(field + ".isr"),
        PriorityAdd = r.U8(field + ".priority_add"), IrqBase = r.U8(field + ".irq_base"),
        ReadRegSelect = r.U8(field + ".read_reg_select"), Poll = r.U8(field + ".poll"),
        SpecialMask = r.U8(field + ".special_mask"), InitState = r.U8(field + ".init_state"),
        AutoEoi = r.U8(field + ".auto_eoi"), RotateOnAutoEoi = r.U8(field + ".rotate_on_auto_eoi"),
        SpecialFullyNestedMode = r.U8(field + ".special_fully_nested_mode"), Init4 = r.U8(field + ".init4"),
        Elcr = r.U8(field + ".elcr"), ElcrMask = r.U8(field + ".elcr_mask"),
    };
}
