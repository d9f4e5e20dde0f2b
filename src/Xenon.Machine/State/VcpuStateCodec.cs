using Xenon.Machine.Backend;

namespace Xenon.Machine.State;

/// <summary>
/// The serialised form of a <see cref="VcpuState"/>, version 1: magic "XVCS", u16 version, u16 reserved (0), then in
/// order CPUID, general registers, special registers, pending-interrupt bitmap, FPU, XSAVE, XCRs, MSRs, LAPIC, events,
/// debug registers, run state, TSC kHz. All integers little-endian; arrays are a u32 count then the items; byte
/// blobs a u32 length then the bytes. See docs/save-restore.md.
/// </summary>
public static class VcpuStateCodec
{
    public const ushort Version = 1;
    public const int MaxCpuidEntries = 1024, MaxMsrs = 4096, MaxXcrs = 16, MaxXsaveBytes = 1 << 20, MinXsaveBytes = 512;

    private const string Record = "vCPU state";
    private static ReadOnlySpan<byte> Magic => "XVCS"u8;

    // Segment attribute bits in the serialised form.
    private const byte SegPresent = 1, SegDefaultBig = 2, SegSystem = 4, SegLong = 8, SegGranularity = 16, SegAvailable = 32, SegUnusable = 64;
    private const byte SegKnown = 127;

    // VcpuEvents booleans, one bit each.
    private const int EvExceptionInjected = 0, EvExceptionPending = 1, EvExceptionHasErrorCode = 2, EvExceptionHasPayload = 3,
        EvInterruptInjected = 4, EvInterruptSoft = 5, EvNmiInjected = 6, EvNmiPending = 7, EvNmiMasked = 8, EvSmiInSmm = 9,
        EvSmiPending = 10, EvSmiInsideNmi = 11, EvSmiLatchedInit = 12, EvTripleFaultPending = 13;
    private const uint EvKnown = (1u << 14) - 1;

    public static byte[] Encode(VcpuState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var w = new StateWriter();
        w.Magic(Magic, Version);

        w.U32((uint)s.Cpuid.Length);
        foreach (var e in s.Cpuid)
        {
            w.U32(e.Function);
            w.U32(e.Index);
            w.U8(e.Indexed);
            w.U32(e.Eax);
            w.U32(e.Ebx);
            w.U32(e.Ecx);
            w.U32(e.Edx);
        }

        var r = s.Registers;
        foreach (ulong v in (ReadOnlySpan<ulong>)[r.Rax, r.Rbx, r.Rcx, r.Rdx, r.Rsi, r.Rdi, r.Rsp, r.Rbp,
                     r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15, r.Rip, r.Rflags])
            w.U64(v);

        var sr = s.SpecialRegisters;
        foreach (var seg in (ReadOnlySpan<X86Segment>)[sr.Cs, sr.Ds, sr.Es, sr.Fs, sr.Gs, sr.Ss, sr.Tr, sr.Ldt]) WriteSegment(w, seg);
        w.U64(sr.Gdt.Base);
        w.U16(sr.Gdt.Limit);
        w.U64(sr.Idt.Base);
        w.U16(sr.Idt.Limit);
        foreach (ulong v in (ReadOnlySpan<ulong>)[sr.Cr0, sr.Cr2, sr.Cr3, sr.Cr4, sr.Cr8, sr.Efer, sr.ApicBase]) w.U64(v);

        if (s.PendingInterrupts.Length != 4) throw new ArgumentException($"PendingInterrupts has {s.PendingInterrupts.Length} words, must be 4");
        foreach (ulong v in s.PendingInterrupts) w.U64(v);

        var f = s.Fpu;
        if (f.Registers.Length != 128 || f.Xmm.Length != 256) throw new ArgumentException("FPU register arrays must be 128 and 256 bytes");
        w.Bytes(f.Registers);
        w.U16(f.Fcw);
        w.U16(f.Fsw);
        w.U8(f.Ftw);
        w.U16(f.LastOpcode);
        w.U64(f.LastIp);
        w.U64(f.LastDp);
        w.Bytes(f.Xmm);
        w.U32(f.Mxcsr);

        w.Blob(s.Xsave);

        w.U32((uint)s.Xcrs.Length);
        foreach (var x in s.Xcrs)
        {
            w.U32(x.Index);
            w.U64(x.Value);
        }

        w.U32((uint)s.Msrs.Length);
        foreach (var m in s.Msrs)
        {
            w.U32(m.Index);
            w.U64(m.Value);
        }

        if (s.Lapic.Length != VcpuState.LapicSize) throw new ArgumentException($"Lapic has {s.Lapic.Length} bytes, must be {VcpuState.LapicSize}");
        w.Blob(s.Lapic);

        WriteEvents(w, s.Events);

        var d = s.DebugRegisters;
        foreach (ulong v in (ReadOnlySpan<ulong>)[d.Dr0, d.Dr1, d.Dr2, d.Dr3, d.Dr6, d.Dr7]) w.U64(v);

        w.U32((uint)s.RunState);
        w.U32(s.TscKhz);
        return w.ToArray();
    }

    public static VcpuState Decode(ReadOnlySpan<byte> data)
    {
        var r = new StateReader(data, Record);
        r.Magic(Magic, Version);
        var s = new VcpuState();

        int n = r.Count("cpuid.count", MaxCpuidEntries);
        var cpuid = new CpuidEntry[n];
        for (int i = 0; i < n; i++)
        {
            uint function = r.U32("cpuid.function"), index = r.U32("cpuid.index");
            bool indexed = r.Bool("cpuid.indexed");
            cpuid[i] = new CpuidEntry(function, index, indexed, r.U32("cpuid.eax"), r.U32("cpuid.ebx"), r.U32("cpuid.ecx"), r.U32("cpuid.edx"));
        }
        s.Cpuid = cpuid;

        s.Registers = new X86Registers
        {
            Rax = r.U64("regs.rax"), Rbx = r.U64("regs.rbx"), Rcx = r.U64("regs.rcx"), Rdx = r.U64("regs.rdx"),
            Rsi = r.U64("regs.rsi"), Rdi = r.U64("regs.rdi"), Rsp = r.U64("regs.rsp"), Rbp = r.U64("regs.rbp"),
            R8 = r.U64("regs.r8"), R9 = r.U64("regs.r9"), R10 = r.U64("regs.r10"), R11 = r.U64("regs.r11"),
            R12 = r.U64("regs.r12"), R13 = r.U64("regs.r13"), R14 = r.U64("regs.r14"), R15 = r.U64("regs.r15"),
            Rip = r.U64("regs.rip"), Rflags = r.U64("regs.rflags"),
        };

        s.SpecialRegisters = new X86SpecialRegisters
        {
            Cs = ReadSegment(ref r, "sregs.cs"), Ds = ReadSegment(ref r, "sregs.ds"), Es = ReadSegment(ref r, "sregs.es"),
            Fs = ReadSegment(ref r, "sregs.fs"), Gs = ReadSegment(ref r, "sregs.gs"), Ss = ReadSegment(ref r, "sregs.ss"),
            Tr = ReadSegment(ref r, "sregs.tr"), Ldt = ReadSegment(ref r, "sregs.ldt"),
            Gdt = new X86DescriptorTable { Base = r.U64("sregs.gdt.base"), Limit = r.U16("sregs.gdt.limit") },
            Idt = new X86DescriptorTable { Base = r.U64("sregs.idt.base"), Limit = r.U16("sregs.idt.limit") },
            Cr0 = r.U64("sregs.cr0"), Cr2 = r.U64("sregs.cr2"), Cr3 = r.U64("sregs.cr3"), Cr4 = r.U64("sregs.cr4"),
            Cr8 = r.U64("sregs.cr8"), Efer = r.U64("sregs.efer"), ApicBase = r.U64("sregs.apic_base"),
        };

        s.PendingInterrupts = [r.U64("pending_interrupts[0]"), r.U64("pending_interrupts[1]"), r.U64("pending_interrupts[2]"), r.U64("pending_interrupts[3]")];

        var f = new FpuState();
        r.Bytes("fpu.registers", f.Registers);
        f.Fcw = r.U16("fpu.fcw");
        f.Fsw = r.U16("fpu.fsw");
        f.Ftw = r.U8("fpu.ftw");
        f.LastOpcode = r.U16("fpu.last_opcode");
        f.LastIp = r.U64("fpu.last_ip");
        f.LastDp = r.U64("fpu.last_dp");
        r.Bytes("fpu.xmm", f.Xmm);
        f.Mxcsr = r.U32("fpu.mxcsr");
        s.Fpu = f;

        s.Xsave = r.Blob("xsave", MinXsaveBytes, MaxXsaveBytes, allowEmpty: true);

        n = r.Count("xcrs.count", MaxXcrs);
        var xcrs = new XcrEntry[n];
        for (int i = 0; i < n; i++) xcrs[i] = new XcrEntry(r.U32("xcrs.index"), r.U64("xcrs.value"));
        s.Xcrs = xcrs;

        n = r.Count("msrs.count", MaxMsrs);
        var msrs = new MsrEntry[n];
        for (int i = 0; i < n; i++) msrs[i] = new MsrEntry(r.U32("msrs.index"), r.U64("msrs.value"));
        s.Msrs = msrs;

        s.Lapic = r.Blob("lapic", VcpuState.LapicSize, VcpuState.LapicSize);
        s.Events = ReadEvents(ref r);
        s.DebugRegisters = new X86DebugRegisters
        {
            Dr0 = r.U64("debug.dr0"), Dr1 = r.U64("debug.dr1"), Dr2 = r.U64("debug.dr2"), Dr3 = r.U64("debug.dr3"),
            Dr6 = r.U64("debug.dr6"), Dr7 = r.U64("debug.dr7"),
        };

        int at = r.Offset;
        uint run = r.U32("run_state");
        // A range check, not Enum.IsDefined: that generic has no ReadyToRun code and was compiled inside the restore.
        if (run > (uint)VcpuRunState.SipiReceived) throw r.Error("run_state", at, $"is {run}, not a known run state");
        s.RunState = (VcpuRunState)run;
        s.TscKhz = r.U32("tsc_khz");
        r.End();
        return s;
    }

    private static void WriteSegment(StateWriter w, in X86Segment s)
    {
        w.U64(s.Base);
        w.U32(s.Limit);
        w.U16(s.Selector);
        w.U8(s.Type);
        w.U8(s.Dpl);
        int bits = (s.Present ? SegPresent : 0) | (s.DefaultBig ? SegDefaultBig : 0) | (s.System ? SegSystem : 0) | (s.Long ? SegLong : 0)
            | (s.Granularity ? SegGranularity : 0) | (s.Available ? SegAvailable : 0) | (s.Unusable ? SegUnusable : 0);
        w.U8((byte)bits);
    }

    private static X86Segment ReadSegment(ref StateReader r, string field)
    {
        var s = new X86Segment
        {
            Base = r.U64(field + ".base"),
            Limit = r.U32(field + ".limit"),
            Selector = r.U16(field + ".selector"),
            Type = r.U8(field + ".type"),
            Dpl = r.U8(field + ".dpl"),
        };
        int at = r.Offset;
        byte bits = r.U8(field + ".attributes");
        if ((bits & ~SegKnown) != 0) throw r.Error(field + ".attributes", at, $"has unknown bits 0x{bits & ~SegKnown:x}");
        if (s.Type > 15) throw r.Error(field + ".type", at - 2, $"is {s.Type}, must be below 16");
        if (s.Dpl > 3) throw r.Error(field + ".dpl", at - 1, $"is {s.Dpl}, must be 0-3");
        s.Present = (bits & SegPresent) != 0;
        s.DefaultBig = (bits & SegDefaultBig) != 0;
        s.System = (bits & SegSystem) != 0;
        s.Long = (bits & SegLong) != 0;
        s.Granularity = (bits & SegGranularity) != 0;
        s.Available = (bits & SegAvailable) != 0;
        s.Unusable = (bits & SegUnusable) != 0;
        return s;
    }

    private static void WriteEvents(StateWriter w, in VcpuEvents e)
    {
        uint bits = Bit(e.ExceptionInjected, EvExceptionInjected) | Bit(e.ExceptionPending, EvExceptionPending)
            | Bit(e.ExceptionHasErrorCode, EvExceptionHasErrorCode) | Bit(e.ExceptionHasPayload, EvExceptionHasPayload)
            | Bit(e.InterruptInjected, EvInterruptInjected) | Bit(e.InterruptSoft, EvInterruptSoft)
            | Bit(e.NmiInjected, EvNmiInjected) | Bit(e.NmiPending, EvNmiPending) | Bit(e.NmiMasked, EvNmiMasked)
            | Bit(e.SmiInSmm, EvSmiInSmm) | Bit(e.SmiPending, EvSmiPending) | Bit(e.SmiInsideNmi, EvSmiInsideNmi)
            | Bit(e.SmiLatchedInit, EvSmiLatchedInit) | Bit(e.TripleFaultPending, EvTripleFaultPending);
        w.U32(bits);
        w.U8(e.ExceptionVector);
        w.U32(e.ExceptionErrorCode);
        w.U64(e.ExceptionPayload);
        w.U8(e.InterruptVector);
        w.U8(e.InterruptShadow);
        w.U32(e.SipiVector);
        w.U32(e.ValidFlags);
    }

    private static VcpuEvents ReadEvents(ref StateReader r)
    {
        uint bits = r.Flags("events.flags", EvKnown);
        var e = new VcpuEvents
        {
            ExceptionInjected = Has(bits, EvExceptionInjected),
            ExceptionPending = Has(bits, EvExceptionPending),
            ExceptionHasErrorCode = Has(bits, EvExceptionHasErrorCode),
            ExceptionHasPayload = Has(bits, EvExceptionHasPayload),
            InterruptInjected = Has(bits, EvInterruptInjected),
            InterruptSoft = Has(bits, EvInterruptSoft),
            NmiInjected = Has(bits, EvNmiInjected),
            NmiPending = Has(bits, EvNmiPending),
            NmiMasked = Has(bits, EvNmiMasked),
            SmiInSmm = Has(bits, EvSmiInSmm),
            SmiPending = Has(bits, EvSmiPending),
            SmiInsideNmi = Has(bits, EvSmiInsideNmi),
            SmiLatchedInit = Has(bits, EvSmiLatchedInit),
            TripleFaultPending = Has(bits, EvTripleFaultPending),
        };
        e.ExceptionVector = r.U8("events.exception_vector");
        e.ExceptionErrorCode = r.U32("events.exception_error_code");
        e.ExceptionPayload = r.U64("events.exception_payload");
        e.InterruptVector = r.U8("events.interrupt_vector");
        int at = r.Offset;
        e.InterruptShadow = r.U8("events.interrupt_shadow");
        if (e.InterruptShadow > 3) throw r.Error("events.interrupt_shadow", at, $"is {e.InterruptShadow}, must be 0-3");
        e.SipiVector = r.U32("events.sipi_vector");
        e.ValidFlags = r.U32("events.valid_flags");
        return e;
    }

    private static uint Bit(bool value, int bit) => value ? 1u << bit : 0;

    private static bool Has(uint bits, int bit) => (bits & (1u << bit)) != 0;
}
