using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;
using static Xenon.Emulator.State.ControlBits;

namespace Xenon.Emulator.Execution;

/// <summary>Privileged and system instructions: control/debug registers, descriptor tables, MSRs, CPUID, TSC,
/// SYSCALL/SYSRET, SWAPGS, HLT, CLI/STI, segment register loads.</summary>
public sealed partial class Cpu
{
    private bool RequireCpl0() => _s.Cpl == 0 || Fault(Vector.GP, 0);

    private bool ExecMovCr(in Instruction i)
    {
        if (!RequireCpl0()) return false;
        bool toCr = i.Op0Register is >= Register.CR0 and <= Register.CR15;
        Register cr = toCr ? i.Op0Register : i.Op1Register;
        int n = cr - Register.CR0;
        if (!toCr)
        {
            ulong v = n switch { 0 => _s.Cr0, 2 => _s.Cr2, 3 => _s.Cr3, 4 => _s.Cr4, 8 => Cr8, _ => ulong.MaxValue };
            if (v == ulong.MaxValue && n != 0) return Fault(Vector.UD);
            WriteReg(i.Op0Register, _s.Is64BitCode ? v : (uint)v);
            return true;
        }
        ulong value = ReadReg(i.Op1Register);
        _endBlock = true;
        return n switch
        {
            0 => WriteCr0(value),
            2 => SetCr2(value),
            3 => WriteCr3(value),
            4 => WriteCr4(value),
            8 => SetCr8(value),
            _ => Fault(Vector.UD),
        };
    }

    private bool SetCr2(ulong v)
    {
        _s.Cr2 = v;
        return true;
    }

    private bool SetCr8(ulong v)
    {
        if ((v & ~0xFUL) != 0) return Fault(Vector.GP, 0);
        _s.Cr8 = v;
        if (Interrupts is ITaskPriority apic) apic.TaskPriorityClass = v;
        Attention.Raise(); // a lower priority class can release a held interrupt
        return true;
    }

    // With a local APIC, CR8 is a view of its TPR (which the guest may also have written through MMIO).
    private ulong Cr8 => Interrupts is ITaskPriority apic ? apic.TaskPriorityClass : _s.Cr8;

    internal bool WriteCr0(ulong v)
    {
        if (_s.Is64BitCode && (v >> 32) != 0) return Fault(Vector.GP, 0);
        v = (uint)v | Cr0ET;
        if ((v & Cr0PG) != 0 && (v & Cr0PE) == 0) return Fault(Vector.GP, 0);
        if ((v & Cr0NW) != 0 && (v & Cr0CD) == 0) return Fault(Vector.GP, 0);
        ulong old = _s.Cr0;
        bool pagingOn = (v & Cr0PG) != 0 && (old & Cr0PG) == 0;
        bool pagingOff = (v & Cr0PG) == 0 && (old & Cr0PG) != 0;
        if (pagingOn && (_s.Efer & EferLME) != 0)
        {
            if ((_s.Cr4 & Cr4PAE) == 0) return Fault(Vector.GP, 0);
            _s.Efer |= EferLMA;
        }
        if (pagingOff)
        {
            if (_s.Is64BitCode) return Fault(Vector.GP, 0);
            _s.Efer &= ~EferLMA;
        }
        _s.Cr0 = v;
        if (((old ^ v) & (Cr0PG | Cr0WP | Cr0PE)) != 0) FlushTlb(keepGlobal: false);
        _endBlock = true;
        return true;
    }

    internal bool WriteCr3(ulong v)
    {
        if (_s.LongModeActive && (v >> Memory.Mmu.PhysicalAddressBits) != 0) return Fault(Vector.GP, 0);
        _s.Cr3 = _s.LongModeActive ? v : (uint)v;
        FlushTlb(keepGlobal: true);
        return true;
    }

    private const ulong Cr4Supported = Cr4VME | Cr4PVI | Cr4TSD | Cr4DE | Cr4PSE | Cr4PAE | Cr4MCE | Cr4PGE | Cr4PCE | Cr4OSFXSR | Cr4OSXMMEXCPT;

    internal bool WriteCr4(ulong v)
    {
        if ((v & ~Cr4Supported) != 0) return Fault(Vector.GP, 0);
        if (_s.LongModeActive && (v & Cr4PAE) == 0) return Fault(Vector.GP, 0);
        ulong old = _s.Cr4;
        _s.Cr4 = v;
        if (((old ^ v) & (Cr4PGE | Cr4PAE | Cr4PSE)) != 0) FlushTlb(keepGlobal: false);
        return true;
    }

    private bool ExecMovDr(in Instruction i)
    {
        if (!RequireCpl0()) return false;
        bool toDr = i.Op0Register is >= Register.DR0 and <= Register.DR15;
        int n = (toDr ? i.Op0Register : i.Op1Register) - Register.DR0;
        if (n is 4 or 5) n += 2; // DR4/DR5 alias DR6/DR7 with CR4.DE = 0
        if (!toDr)
        {
            ulong v = n switch { 0 => _s.Dr0, 1 => _s.Dr1, 2 => _s.Dr2, 3 => _s.Dr3, 6 => _s.Dr6, 7 => _s.Dr7, _ => 0 };
            WriteReg(i.Op0Register, v);
            return true;
        }
        ulong value = ReadReg(i.Op1Register);
        switch (n)
        {
            case 0: _s.Dr0 = value; break;
            case 1: _s.Dr1 = value; break;
            case 2: _s.Dr2 = value; break;
            case 3: _s.Dr3 = value; break;
            case 6: _s.Dr6 = (value & 0xE00F) | 0xFFFF0FF0; break;
            case 7: _s.Dr7 = (value & 0xFFFF2BFF) | 0x400; break; // breakpoints are recorded, not armed
            default: return Fault(Vector.UD);
        }
        return true;
    }

    private bool ExecDescriptorTable(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        bool load = m is Mnemonic.Lgdt or Mnemonic.Lidt;
        if (load && !RequireCpl0()) return false;
        if (!MemLinear(i, out ulong lin)) return false;
        int baseSize = _s.Is64BitCode ? 8 : 4;
        ref DescriptorTableRegister r = ref (m is Mnemonic.Lgdt or Mnemonic.Sgdt) ? ref _s.Gdtr : ref _s.Idtr;
        if (load)
        {
            if (!ReadLinear(lin, 2, out ulong limit) || !ReadLinear(lin + 2, baseSize, out ulong b)) return false;
            if (i.CodeSize != CodeSize.Code64 && OpSizeIs16(i)) b &= 0xFFFFFF;
            r.Limit = (ushort)limit;
            r.Base = b;
            return true;
        }
        return WriteLinear(lin, 2, r.Limit) && WriteLinear(lin + 2, baseSize, r.Base);
    }

    /// <summary>True for 16-bit operand size (o16 in 32-bit code, or no prefix in 16-bit code).</summary>
    private static bool OpSizeIs16(in Instruction i) => i.Code is Code.Lgdt_m1632_16 or Code.Lidt_m1632_16;

    private bool ExecLldtLtr(in Instruction i)
    {
        if (!_s.ProtectedMode) return Fault(Vector.UD);
        if (!RequireCpl0()) return false;
        if (!ReadOp(i, 0, out ulong selv)) return false;
        ushort sel = (ushort)selv;
        bool ltr = i.Mnemonic == Mnemonic.Ltr;
        if ((sel & ~3) == 0)
        {
            if (ltr) return Fault(Vector.GP, 0);
            _s.Ldtr = new SegmentRegister { Selector = sel };
            return true;
        }
        if ((sel & 4) != 0) return Fault(Vector.GP, (uint)(sel & ~3));
        if (!ReadDescriptor(sel, out ulong d, out ulong addr)) return false;
        var seg = SegmentRegister.FromDescriptor(sel, d);
        int type = seg.Type;
        bool ok = seg.IsSystem && (ltr ? type is 1 or 9 : type == 2);
        if (!ok) return Fault(Vector.GP, (uint)(sel & ~3));
        if (!seg.Present) return Fault(Vector.NP, (uint)(sel & ~3));
        if (_s.LongModeActive)
        {
            if (!ReadSystem(addr + 8, 8, out ulong hi)) return false;
            seg.Base |= (hi & 0xFFFFFFFF) << 32;
        }
        if (ltr)
        {
            // Mark the TSS busy in the GDT, as the hardware does.
            if (!WriteSystem(addr + 5, 1, (d >> 40) | 2)) return false;
            seg.Attributes |= 2;
            _s.Tr = seg;
        }
        else _s.Ldtr = seg;
        return true;
    }

    private bool ExecSldtStr(in Instruction i)
    {
        ulong v = i.Mnemonic == Mnemonic.Str ? _s.Tr.Selector : _s.Ldtr.Selector;
        if (i.Op0Kind == OpKind.Register)
        {
            WriteReg(i.Op0Register, v);
            return true;
        }
        return MemLinear(i, out ulong lin) && WriteLinear(lin, 2, v);
    }

    private bool ExecLmswSmsw(in Instruction i)
    {
        if (i.Mnemonic == Mnemonic.Smsw)
        {
            if (i.Op0Kind == OpKind.Register)
            {
                WriteReg(i.Op0Register, _s.Cr0);
                return true;
            }
            return MemLinear(i, out ulong lin) && WriteLinear(lin, 2, _s.Cr0 & 0xFFFF);
        }
        if (!RequireCpl0() || !ReadOp(i, 0, out ulong v)) return false;
        // LMSW sets PE (never clears it) and MP/EM/TS.
        ulong cr0 = (_s.Cr0 & ~0xEUL) | (v & 0xF) | (_s.Cr0 & Cr0PE);
        return WriteCr0(cr0);
    }

    private bool ExecRdmsr()
    {
        if (!RequireCpl0()) return false;
        uint msr = (uint)_s.Gpr[1];
        if (!ReadMsr(msr, out ulong v)) return Fault(Vector.GP, 0);
        _s.Gpr[0] = (uint)v;
        _s.Gpr[2] = v >> 32;
        return true;
    }

    private bool ExecWrmsr()
    {
        if (!RequireCpl0()) return false;
        uint msr = (uint)_s.Gpr[1];
        ulong v = ((_s.Gpr[2] & 0xFFFFFFFF) << 32) | (_s.Gpr[0] & 0xFFFFFFFF);
        _endBlock = true;
        return WriteMsr(msr, v) || Fault(Vector.GP, 0);
    }

    /// <summary>Guest TSC: the host clock plus the offset a write to IA32_TSC set.</summary>
    public ulong Tsc => (ulong)(HostTsc() + _s.TscOffset);

    public bool ReadMsr(uint msr, out ulong v)
    {
        v = 0;
        switch (msr)
        {
            case Msr.Tsc: v = Tsc; return true;
            case Msr.ApicBase: v = _s.ApicBase; return true;
            case Msr.Efer: v = _s.Efer; return true;
            case Msr.Star: v = _s.Star; return true;
            case Msr.Lstar: v = _s.Lstar; return true;
            case Msr.Cstar: v = _s.Cstar; return true;
            case Msr.Sfmask: v = _s.Sfmask; return true;
            case Msr.FsBase: v = _s.Segments[Seg.Fs].Base; return true;
            case Msr.GsBase: v = _s.Segments[Seg.Gs].Base; return true;
            case Msr.KernelGsBase: v = _s.KernelGsBase; return true;
            case Msr.TscAux: v = _s.TscAux; return true;
            case Msr.SysenterCs: v = _s.SysenterCs; return true;
            case Msr.SysenterEsp: v = _s.SysenterEsp; return true;
            case Msr.SysenterEip: v = _s.SysenterEip; return true;
            case Msr.Pat: v = _s.Pat; return true;
            case Msr.MiscEnable: v = _s.MiscEnable; return true;
            case Msr.MtrrCap: v = 0; return true;
            case Msr.MtrrDefType: v = _s.MtrrDefType; return true;
            case 0x8B: v = 0; return true; // microcode revision
            case 0x179: case 0x17A: v = 0; return true; // MCG_CAP / MCG_STATUS: no machine-check banks
            case Msr.ArchCapabilities when Cpuid.ArchCapabilities != 0: v = Cpuid.ArchCapabilities; return true;
        }
        return ExtraMsrs is { } extra && extra.TryRead(msr, out v);
    }

    public bool WriteMsr(uint msr, ulong v)
    {
        switch (msr)
        {
            case Msr.Tsc:
                _s.TscOffset = (long)v - HostTsc();
                ExtraMsrs?.TscChanged();
                return true;
            case Msr.ApicBase:
                // reserved: bits 0-7 and 9, x2APIC enable (bit 10: not offered), and above MAXPHYADDR
                if ((v & (0x6FFUL | ~((1UL << Memory.Mmu.PhysicalAddressBits) - 1))) != 0) return false;
                _s.ApicBase = v;
                return true;
            case Msr.Efer:
            {
                const ulong allowed = EferSCE | EferLME | EferNXE;
                if ((v & ~(allowed | EferLMA)) != 0) return false;
                if ((_s.Cr0 & Cr0PG) != 0 && ((v ^ _s.Efer) & EferLME) != 0) return false;
                ulong old = _s.Efer;
                _s.Efer = (v & allowed) | (_s.Efer & EferLMA);
                if (((old ^ _s.Efer) & EferNXE) != 0) FlushTlb(keepGlobal: false);
                return true;
            }
            case Msr.Star: _s.Star = v; return true;
            case Msr.Lstar: if (!IsCanonical(v)) return false; _s.Lstar = v; return true;
            case Msr.Cstar: if (!IsCanonical(v)) return false; _s.Cstar = v; return true;
            case Msr.Sfmask: _s.Sfmask = v & 0xFFFFFFFF; return true;
            case Msr.FsBase: if (!IsCanonical(v)) return false; _s.Segments[Seg.Fs].Base = v; return true;
            case Msr.GsBase: if (!IsCanonical(v)) return false; _s.Segments[Seg.Gs].Base = v; return true;
            case Msr.KernelGsBase: if (!IsCanonical(v)) return false; _s.KernelGsBase = v; return true;
            case Msr.TscAux: _s.TscAux = v & 0xFFFFFFFF; return true;
            case Msr.SysenterCs: _s.SysenterCs = v & 0xFFFF; return true;
            case Msr.SysenterEsp: _s.SysenterEsp = v; return true;
            case Msr.SysenterEip: _s.SysenterEip = v; return true;
            case Msr.Pat: _s.Pat = v; return true;
            case Msr.MiscEnable: _s.MiscEnable = v; return true;
            case Msr.MtrrDefType: _s.MtrrDefType = v; return true;
            case 0x8B: return true;
        }
        return ExtraMsrs is { } extra && extra.TryWrite(msr, v);
    }

    private void ExecCpuid()
    {
        Cpuid.Query((uint)_s.Gpr[0], (uint)_s.Gpr[1], out uint a, out uint b, out uint c, out uint d);
        _s.Gpr[0] = a;
        _s.Gpr[3] = b;
        _s.Gpr[1] = c;
        _s.Gpr[2] = d;
    }

    private bool ExecRdtsc(bool withAux)
    {
        if ((_s.Cr4 & Cr4TSD) != 0 && _s.Cpl != 0) return Fault(Vector.GP, 0);
        ulong t = Tsc;
        _s.Gpr[0] = (uint)t;
        _s.Gpr[2] = t >> 32;
        if (withAux) _s.Gpr[1] = (uint)_s.TscAux;
        return true;
    }

    private bool ExecSyscall()
    {
        if ((_s.Efer & EferSCE) == 0 || !_s.LongModeActive) return Fault(Vector.UD);
        ulong flags = GetRflags();
        ulong target = _s.Is64BitCode ? _s.Lstar : _s.Cstar;
        _s.Gpr[1] = _next;
        _s.Gpr[11] = flags & ~RFlags.RF;
        ushort sel = (ushort)((_s.Star >> 32) & 0xFFFC);
        _s.Segments[Seg.Cs] = new SegmentRegister { Selector = sel, Base = 0, Limit = 0xFFFFFFFF, Attributes = 0xA9B };
        _s.Segments[Seg.Ss] = new SegmentRegister { Selector = (ushort)(sel + 8), Base = 0, Limit = 0xFFFFFFFF, Attributes = 0xC93 };
        SetRflags(flags & ~_s.Sfmask & ~RFlags.RF);
        _s.Rip = target;
        _endBlock = true;
        return true;
    }

    private bool ExecSysret(in Instruction i)
    {
        if ((_s.Efer & EferSCE) == 0 || !_s.LongModeActive) return Fault(Vector.UD);
        if (!RequireCpl0()) return false;
        bool to64 = i.Code == Code.Sysretq;
        ulong target = to64 ? _s.Gpr[1] : (uint)_s.Gpr[1];
        if (!IsCanonical(target)) return Fault(Vector.GP, 0);
        ushort sel = (ushort)((_s.Star >> 48) & 0xFFFF);
        _s.Segments[Seg.Cs] = to64
            ? new SegmentRegister { Selector = (ushort)((sel + 16) | 3), Limit = 0xFFFFFFFF, Attributes = 0xAFB }
            : new SegmentRegister { Selector = (ushort)(sel | 3), Limit = 0xFFFFFFFF, Attributes = 0xCFB };
        // SS keeps a DPL-3 flat descriptor whatever the GDT holds (what the hardware loads).
        _s.Segments[Seg.Ss] = new SegmentRegister { Selector = (ushort)((sel + 8) | 3), Limit = 0xFFFFFFFF, Attributes = 0xCF3 };
        SetRflags((_s.Gpr[11] & 0x3C7FD7) | RFlags.Fixed1);
        _s.Rip = target;
        _endBlock = true;
        return true;
    }

    private bool ExecSwapgs()
    {
        if (!_s.Is64BitCode) return Fault(Vector.UD);
        if (!RequireCpl0()) return false;
        (_s.Segments[Seg.Gs].Base, _s.KernelGsBase) = (_s.KernelGsBase, _s.Segments[Seg.Gs].Base);
        return true;
    }

    private bool ExecCliSti(bool sti)
    {
        if (_s.ProtectedMode && _s.Cpl > (int)((_s.FlagsControl >> 12) & 3)) return Fault(Vector.GP, 0);
        if (sti)
        {
            if ((_s.FlagsControl & RFlags.IF) == 0) _s.InterruptShadow = true;
            _s.FlagsControl |= RFlags.IF;
        }
        else _s.FlagsControl &= ~RFlags.IF;
        _endBlock = true;
        return true;
    }

    private bool ExecHlt()
    {
        if (!RequireCpl0()) return false;
        _s.Halted = true;
        _endBlock = true;
        return true;
    }

    private bool ExecInvlpg(in Instruction i)
    {
        if (!RequireCpl0()) return false;
        if (!MemLinear(i, out ulong lin)) return true; // a non-canonical INVLPG is a no-op
        _mmu.Tlb.FlushPage(lin);
        return true;
    }

    private bool ExecMovSeg(in Instruction i)
    {
        if (i.Op0Register is >= Register.ES and <= Register.GS)
        {
            Register sreg = i.Op0Register;
            if (sreg == Register.CS) return Fault(Vector.UD);
            if (!ReadOp(i, 1, out ulong v)) return false;
            if (!LoadSegment(sreg - Register.ES, (ushort)v)) return false;
            if (sreg == Register.SS) _s.InterruptShadow = true;
            return true;
        }
        ulong sel = _s.Segments[i.Op1Register - Register.ES].Selector;
        if (i.Op0Kind == OpKind.Register)
        {
            WriteReg(i.Op0Register, sel);
            return true;
        }
        return MemLinear(i, out ulong lin) && WriteLinear(lin, 2, sel);
    }

    /// <summary>LDS/LES/LFS/LGS/LSS: a far pointer from memory into a segment register and a general register.</summary>
    private bool ExecLoadFarPointer(in Instruction i)
    {
        int size = RegSize(i.Op0Register);
        if (!MemLinear(i, out ulong lin) || !ReadLinear(lin, size, out ulong off) || !ReadLinear(lin + (ulong)size, 2, out ulong sel))
            return false;
        int seg = i.Mnemonic switch
        {
            Mnemonic.Lds => Seg.Ds,
            Mnemonic.Les => Seg.Es,
            Mnemonic.Lfs => Seg.Fs,
            Mnemonic.Lgs => Seg.Gs,
            _ => Seg.Ss,
        };
        if (!LoadSegment(seg, (ushort)sel)) return false;
        WriteReg(i.Op0Register, off);
        return true;
    }

    /// <summary>LSL/LAR: the limit or access rights of a descriptor the CPL may see; ZF says whether it was valid.</summary>
    private bool ExecLslLar(in Instruction i)
    {
        if (!_s.ProtectedMode) return Fault(Vector.UD);
        if (!ReadOp(i, 1, out ulong selv)) return false;
        ushort sel = (ushort)selv;
        bool ok = false;
        ulong result = 0;
        if ((sel & ~3) != 0)
        {
            bool ldt = (sel & 4) != 0;
            ulong limit = ldt ? _s.Ldtr.Limit : _s.Gdtr.Limit;
            if ((ulong)(sel & ~7) + 7 <= limit && ReadDescriptor(sel, out ulong d, out _))
            {
                var seg = SegmentRegister.FromDescriptor(sel, d);
                bool conforming = !seg.IsSystem && (seg.Type & 0xC) == 0xC;
                ok = conforming || (seg.Dpl >= _s.Cpl && seg.Dpl >= (sel & 3));
                if (seg.IsSystem && !(seg.Type is 1 or 2 or 3 or 9 or 11 || (i.Mnemonic == Mnemonic.Lar && seg.Type is 4 or 5 or 12))) ok = false;
                result = i.Mnemonic == Mnemonic.Lsl ? seg.Limit : d >> 32 & 0x00F0FF00;
            }
            else if (_faultVector >= 0) return false;
        }
        if (ok) WriteReg(i.Op0Register, result);
        SetStatus(RFlags.ZF, ok ? RFlags.ZF : 0);
        return true;
    }

    /// <summary>VERR/VERW: ZF = the segment is readable (writable) from the CPL. Linux runs VERW to clear CPU buffers.</summary>
    private bool ExecVerify(in Instruction i)
    {
        if (!_s.ProtectedMode) return Fault(Vector.UD);
        if (!ReadOp(i, 0, out ulong selv)) return false;
        ushort sel = (ushort)selv;
        bool ok = false;
        bool ldt = (sel & 4) != 0;
        ulong limit = ldt ? _s.Ldtr.Limit : _s.Gdtr.Limit;
        if ((sel & ~3) != 0 && (ulong)(sel & ~7) + 7 <= limit)
        {
            if (!ReadDescriptor(sel, out ulong d, out _)) return false;
            var seg = SegmentRegister.FromDescriptor(sel, d);
            bool code = (seg.Type & 8) != 0;
            bool conforming = code && (seg.Type & 4) != 0;
            bool visible = conforming || (seg.Dpl >= _s.Cpl && seg.Dpl >= (sel & 3));
            bool access = i.Mnemonic == Mnemonic.Verr ? !code || (seg.Type & 2) != 0 : !code && (seg.Type & 2) != 0;
            ok = !seg.IsSystem && visible && access;
        }
        SetStatus(RFlags.ZF, ok ? RFlags.ZF : 0);
        return true;
    }
}
