using Xenon.Kvm.Abi;
using Xenon.Machine.State;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>Conversions between the machine's saved-state types and KVM's state structs.</summary>
public static unsafe partial class KvmStateConversion
{
    public static FpuState FromKvm(in KvmFpu k)
    {
        var f = new FpuState
        {
            Fcw = k.Fcw, Fsw = k.Fsw, Ftw = k.Ftwx, LastOpcode = k.LastOpcode, LastIp = k.LastIp, LastDp = k.LastDp, Mxcsr = k.Mxcsr,
        };
        fixed (byte* fpr = k.Fpr) new ReadOnlySpan<byte>(fpr, 128).CopyTo(f.Registers);
        fixed (byte* xmm = k.Xmm) new ReadOnlySpan<byte>(xmm, 256).CopyTo(f.Xmm);
        return f;
    }

    public static KvmFpu ToKvm(FpuState f)
    {
        var k = new KvmFpu { Fcw = f.Fcw, Fsw = f.Fsw, Ftwx = f.Ftw, LastOpcode = f.LastOpcode, LastIp = f.LastIp, LastDp = f.LastDp, Mxcsr = f.Mxcsr };
        f.Registers.AsSpan(0, 128).CopyTo(new Span<byte>(k.Fpr, 128));
        f.Xmm.AsSpan(0, 256).CopyTo(new Span<byte>(k.Xmm, 256));
        return k;
    }

    public static VcpuEvents FromKvm(in KvmVcpuEvents k) => new()
    {
        ExceptionInjected = k.ExceptionInjected != 0,
        ExceptionVector = k.ExceptionNr,
        ExceptionHasErrorCode = k.ExceptionHasErrorCode != 0,
        ExceptionPending = k.ExceptionPending != 0,
        ExceptionErrorCode = k.ExceptionErrorCode,
        ExceptionHasPayload = k.ExceptionHasPayload != 0,
        ExceptionPayload = k.ExceptionPayload,
        InterruptInjected = k.InterruptInjected != 0,
        InterruptVector = k.InterruptNr,
        InterruptSoft = k.InterruptSoft != 0,
        InterruptShadow = k.InterruptShadow,
        NmiInjected = k.NmiInjected != 0,
        NmiPending = k.NmiPending != 0,
        NmiMasked = k.NmiMasked != 0,
        SipiVector = k.SipiVector,
        SmiInSmm = k.SmiSmm != 0,
        SmiPending = k.SmiPending != 0,
        SmiInsideNmi = k.SmiInsideNmi != 0,
        SmiLatchedInit = k.SmiLatchedInit != 0,
        TripleFaultPending = k.TripleFaultPending != 0,
        ValidFlags = k.Flags,
    };

    public static KvmVcpuEvents ToKvm(in VcpuEvents e) => new()
    {
        ExceptionInjected = Bit(e.ExceptionInjected),
        ExceptionNr = e.ExceptionVector,
        ExceptionHasErrorCode = Bit(e.ExceptionHasErrorCode),
        ExceptionPending = Bit(e.ExceptionPending),
        ExceptionErrorCode = e.ExceptionErrorCode,
        ExceptionHasPayload = Bit(e.ExceptionHasPayload),
        ExceptionPayload = e.ExceptionPayload,
        InterruptInjected = Bit(e.InterruptInjected),
        InterruptNr = e.InterruptVector,
        InterruptSoft = Bit(e.InterruptSoft),
        InterruptShadow = e.InterruptShadow,
        NmiInjected = Bit(e.NmiInjected),
        NmiPending = Bit(e.NmiPending),
        NmiMasked = Bit(e.NmiMasked),
        SipiVector = e.SipiVector,
        SmiSmm = Bit(e.SmiInSmm),
        SmiPending = Bit(e.SmiPending),
        SmiInsideNmi = Bit(e.SmiInsideNmi),
        SmiLatchedInit = Bit(e.SmiLatchedInit),
        TripleFaultPending = Bit(e.TripleFaultPending),
        Flags = e.ValidFlags,
    };

    public static X86DebugRegisters FromKvm(in KvmDebugRegs k) => new()
    {
        Dr0 = k.Db[0], Dr1 = k.Db[1], Dr2 = k.Db[2], Dr3 = k.Db[3], Dr6 = k.Dr6, Dr7 = k.Dr7,
    };

    public static KvmDebugRegs ToKvm(in X86DebugRegisters d)
    {
        var k = new KvmDebugRegs { Dr6 = d.Dr6, Dr7 = d.Dr7 };
        k.Db[0] = d.Dr0;
        k.Db[1] = d.Dr1;
        k.Db[2] = d.Dr2;
        k.Db[3] = d.Dr3;
        return k;
    }

    public static PicState FromKvm(in KvmPicState k) => new()
    {
        LastIrr = k.LastIrr, Irr = k.Irr, Imr = k.Imr, Isr = k.Isr, PriorityAdd = k.PriorityAdd, IrqBase = k.IrqBase,
        ReadRegSelect = k.ReadRegSelect, Poll = k.Poll, SpecialMask = k.SpecialMask, InitState = k.InitState,
        AutoEoi = k.AutoEoi, RotateOnAutoEoi = k.RotateOnAutoEoi, SpecialFullyNestedMode = k.SpecialFullyNestedMode,
        Init4 = k.Init4, Elcr = k.Elcr, ElcrMask = k.ElcrMask,
    };

    public static KvmPicState ToKvm(in PicState p) => new()
    {
        LastIrr = p.LastIrr, Irr = p.Irr, Imr = p.Imr, Isr = p.Isr, PriorityAdd = p.PriorityAdd, IrqBase = p.IrqBase,
        ReadRegSelect = p.ReadRegSelect, Poll = p.Poll, SpecialMask = p.SpecialMask, InitState = p.InitState,
        AutoEoi = p.AutoEoi, RotateOnAutoEoi = p.RotateOnAutoEoi, SpecialFullyNestedMode = p.SpecialFullyNestedMode,
        Init4 = p.Init4, Elcr = p.Elcr, ElcrMask = p.ElcrMask,
    };

    public static IoapicState FromKvm(in KvmIoapicState k)
    {
        var s = new IoapicState { BaseAddress = k.BaseAddress, IoRegSel = k.Ioregsel, Id = k.Id, Irr = k.Irr };
        for (int i = 0; i < IoapicState.Pins; i++) s.Redirection[i] = k.Redirtbl[i];
        return s;
    }

    public static KvmIoapicState ToKvm(IoapicState s)
    {
        var k = new KvmIoapicState { BaseAddress = s.BaseAddress, Ioregsel = s.IoRegSel, Id = s.Id, Irr = s.Irr };
        for (int i = 0; i < KvmIoapicState.Pins; i++) k.Redirtbl[i] = s.Redirection[i];
        return k;
    }

    public static PitState FromKvm(in KvmPitState2 k) => new()
    {
        Channels = [FromKvm(k.Channel0), FromKvm(k.Channel1), FromKvm(k.Channel2)],
        Flags = k.Flags,
    };

    public static KvmPitState2 ToKvm(PitState s) => new()
    {
        Channel0 = ToKvm(s.Channels[0]),
        Channel1 = ToKvm(s.Channels[1]),
        Channel2 = ToKvm(s.Channels[2]),
        Flags = s.Flags,
    };

    public static PitChannelState FromKvm(in KvmPitChannelState k) => new()
    {
        Count = k.Count, LatchedCount = k.LatchedCount, CountLatched = k.CountLatched, StatusLatched = k.StatusLatched,
        Status = k.Status, ReadState = k.ReadState, WriteState = k.WriteState, WriteLatch = k.WriteLatch,
        RwMode = k.RwMode, Mode = k.Mode, Bcd = k.Bcd, Gate = k.Gate,
    };

    public static KvmPitChannelState ToKvm(in PitChannelState c) => new()
    {
        Count = c.Count, LatchedCount = c.LatchedCount, CountLatched = c.CountLatched, StatusLatched = c.StatusLatched,
        Status = c.Status, ReadState = c.ReadState, WriteState = c.WriteState, WriteLatch = c.WriteLatch,
        RwMode = c.RwMode, Mode = c.Mode, Bcd = c.Bcd, Gate = c.Gate,
    };
}
