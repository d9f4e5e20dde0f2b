using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Instruction dispatch: one switch over the mnemonic; the handlers live in the files named for their group.</summary>
public sealed partial class Cpu
{
    /// <summary>The last instruction that raised #UD because the emulator lacks it (diagnostics for bring-up).</summary>
    public Code LastUnimplemented { get; private set; }

    private bool Unimplemented(in Instruction i)
    {
        LastUnimplemented = i.Code;
        return Fault(Vector.UD);
    }

    private bool Execute(in Instruction i)
    {
        switch (i.Mnemonic)
        {
            case Mnemonic.Add: case Mnemonic.Or: case Mnemonic.Adc: case Mnemonic.Sbb: case Mnemonic.And: case Mnemonic.Sub:
            case Mnemonic.Xor: case Mnemonic.Cmp: case Mnemonic.Test:
                return ExecAlu2(i);
            case Mnemonic.Inc: case Mnemonic.Dec: case Mnemonic.Neg: case Mnemonic.Not:
                return ExecAlu1(i);
            case Mnemonic.Mov:
                return ExecMov(i);
            case Mnemonic.Movzx: case Mnemonic.Movsx: case Mnemonic.Movsxd:
                return ExecMovExtend(i);
            case Mnemonic.Lea:
            {
                ulong ea = EffectiveAddress(i);
                WriteReg(i.Op0Register, ea);
                return true;
            }
            case Mnemonic.Xchg: return ExecXchg(i);
            case Mnemonic.Xadd: return ExecXadd(i);
            case Mnemonic.Cmpxchg: return ExecCmpxchg(i);
            case Mnemonic.Cmpxchg8b: case Mnemonic.Cmpxchg16b: return ExecCmpxchgWide(i);
            case Mnemonic.Bswap: return ExecBswap(i);
            case Mnemonic.Cbw: case Mnemonic.Cwde: case Mnemonic.Cdqe: case Mnemonic.Cwd: case Mnemonic.Cdq: case Mnemonic.Cqo:
                ExecConvert(i.Mnemonic);
                return true;
            case Mnemonic.Lahf: ExecLahf(); return true;
            case Mnemonic.Sahf: ExecSahf(); return true;

            case Mnemonic.Rol: case Mnemonic.Ror: case Mnemonic.Rcl: case Mnemonic.Rcr: case Mnemonic.Shl: case Mnemonic.Sal:
            case Mnemonic.Shr: case Mnemonic.Sar:
                return ExecShift(i);
            case Mnemonic.Shld: case Mnemonic.Shrd: return ExecShiftDouble(i);
            case Mnemonic.Mul: case Mnemonic.Imul: return ExecMul(i);
            case Mnemonic.Div: case Mnemonic.Idiv: return ExecDiv(i);
            case Mnemonic.Bt: case Mnemonic.Bts: case Mnemonic.Btr: case Mnemonic.Btc: return ExecBt(i);
            case Mnemonic.Bsf: case Mnemonic.Bsr: case Mnemonic.Lzcnt: case Mnemonic.Popcnt: return ExecBitScan(i);
            case Mnemonic.Tzcnt:
                if (!Cpuid.Bmi1) goto case Mnemonic.Bsf; // without BMI1, F3 0F BC is REP BSF
                return ExecBitScan(i);

            case Mnemonic.Push: return ExecPush(i);
            case Mnemonic.Pop: return ExecPop(i);
            case Mnemonic.Pushf: case Mnemonic.Pushfd: case Mnemonic.Pushfq: return ExecPushf(i);
            case Mnemonic.Popf: case Mnemonic.Popfd: case Mnemonic.Popfq: return ExecPopf(i);
            case Mnemonic.Pusha: case Mnemonic.Pushad: return ExecPusha(i);
            case Mnemonic.Popa: case Mnemonic.Popad: return ExecPopa(i);
            case Mnemonic.Leave: return ExecLeave(i);
            case Mnemonic.Enter: return ExecEnter(i);

            case Mnemonic.Jmp: return ExecJmp(i);
            case Mnemonic.Jo: case Mnemonic.Jno: case Mnemonic.Jb: case Mnemonic.Jae: case Mnemonic.Je: case Mnemonic.Jne:
            case Mnemonic.Jbe: case Mnemonic.Ja: case Mnemonic.Js: case Mnemonic.Jns: case Mnemonic.Jp: case Mnemonic.Jnp:
            case Mnemonic.Jl: case Mnemonic.Jge: case Mnemonic.Jle: case Mnemonic.Jg:
                return ExecJcc(i);
            case Mnemonic.Call: return ExecCall(i);
            case Mnemonic.Ret: return ExecRet(i);
            case Mnemonic.Retf: return ExecRetf(i);
            case Mnemonic.Loop: case Mnemonic.Loope: case Mnemonic.Loopne: case Mnemonic.Jcxz: case Mnemonic.Jecxz: case Mnemonic.Jrcxz:
                return ExecLoop(i);
            case Mnemonic.Int: return SoftwareInterrupt(i.Immediate8);
            case Mnemonic.Int3: return SoftwareInterrupt(Vector.BP);
            case Mnemonic.Int1: return Fault(Vector.DB); // ICEBP: a #DB trap; delivered as a fault here
            case Mnemonic.Into: return !Cond(ConditionCode.o) || SoftwareInterrupt(Vector.OF);
            case Mnemonic.Iret: return Iret(2);
            case Mnemonic.Iretd: return Iret(4);
            case Mnemonic.Iretq: return Iret(8);

            case Mnemonic.Seto: case Mnemonic.Setno: case Mnemonic.Setb: case Mnemonic.Setae: case Mnemonic.Sete: case Mnemonic.Setne:
            case Mnemonic.Setbe: case Mnemonic.Seta: case Mnemonic.Sets: case Mnemonic.Setns: case Mnemonic.Setp: case Mnemonic.Setnp:
            case Mnemonic.Setl: case Mnemonic.Setge: case Mnemonic.Setle: case Mnemonic.Setg:
                return ExecSetcc(i);
            case Mnemonic.Cmovo: case Mnemonic.Cmovno: case Mnemonic.Cmovb: case Mnemonic.Cmovae: case Mnemonic.Cmove:
            case Mnemonic.Cmovne: case Mnemonic.Cmovbe: case Mnemonic.Cmova: case Mnemonic.Cmovs: case Mnemonic.Cmovns:
            case Mnemonic.Cmovp: case Mnemonic.Cmovnp: case Mnemonic.Cmovl: case Mnemonic.Cmovge: case Mnemonic.Cmovle:
            case Mnemonic.Cmovg:
                return ExecCmovcc(i);

            case Mnemonic.Clc: SetStatus(RFlags.CF, 0); return true;
            case Mnemonic.Stc: SetStatus(RFlags.CF, RFlags.CF); return true;
            case Mnemonic.Cmc: SetStatus(RFlags.CF, CF ? 0 : RFlags.CF); return true;
            case Mnemonic.Cld: _s.FlagsControl &= ~RFlags.DF; return true;
            case Mnemonic.Std: _s.FlagsControl |= RFlags.DF; return true;
            case Mnemonic.Cli: return ExecCliSti(sti: false);
            case Mnemonic.Sti: return ExecCliSti(sti: true);

            case Mnemonic.Movsb: case Mnemonic.Movsw: case Mnemonic.Movsq:
            case Mnemonic.Stosb: case Mnemonic.Stosw: case Mnemonic.Stosd: case Mnemonic.Stosq:
            case Mnemonic.Lodsb: case Mnemonic.Lodsw: case Mnemonic.Lodsd: case Mnemonic.Lodsq:
            case Mnemonic.Cmpsb: case Mnemonic.Cmpsw: case Mnemonic.Cmpsq:
            case Mnemonic.Scasb: case Mnemonic.Scasw: case Mnemonic.Scasd: case Mnemonic.Scasq:
            case Mnemonic.Insb: case Mnemonic.Insw: case Mnemonic.Insd: case Mnemonic.Outsb: case Mnemonic.Outsw: case Mnemonic.Outsd:
                return ExecString(i);
            case Mnemonic.Movsd:
            case Mnemonic.Cmpsd:
                return IsStringOperand(i.Op0Kind) ? ExecString(i) : ExecSse(i);
            case Mnemonic.In: case Mnemonic.Out: return ExecInOut(i);
            case Mnemonic.Xlatb:
            {
                ulong ea = (_s.Gpr[3] + (_s.Gpr[0] & 0xFF)) & SizeMask(i.MemoryBase == Register.None ? CodeBytes(i) : RegSize(i.MemoryBase));
                if (!ReadMem(SegOf(i), ea, 1, out ulong v)) return false;
                WriteReg(Register.AL, v);
                return true;
            }

            case Mnemonic.Nop: case Mnemonic.Pause: case Mnemonic.Lfence: case Mnemonic.Mfence: case Mnemonic.Sfence:
            case Mnemonic.Prefetchnta: case Mnemonic.Prefetcht0: case Mnemonic.Prefetcht1: case Mnemonic.Prefetcht2:
            case Mnemonic.Prefetchw: case Mnemonic.Prefetch: case Mnemonic.Clflush: case Mnemonic.Wait:
            // CET hints, NOPs on a CPU without CET (CPUID hides it): ENDBR at every indirect-branch target of CET-built
            // code (Debian's busybox and kernel), RDSSP leaves its register unchanged. 0F 18–1F reserved forms are hint NOPs.
            case Mnemonic.Endbr64: case Mnemonic.Endbr32: case Mnemonic.Rdsspd: case Mnemonic.Rdsspq: case Mnemonic.Reservednop:
                return true;
            case Mnemonic.Hlt: return ExecHlt();
            case Mnemonic.Cpuid: ExecCpuid(); return true;
            case Mnemonic.Rdtsc: return ExecRdtsc(withAux: false);
            case Mnemonic.Rdtscp: return ExecRdtsc(withAux: true);
            case Mnemonic.Rdmsr: return ExecRdmsr();
            case Mnemonic.Wrmsr: return ExecWrmsr();
            case Mnemonic.Lgdt: case Mnemonic.Lidt: case Mnemonic.Sgdt: case Mnemonic.Sidt: return ExecDescriptorTable(i);
            case Mnemonic.Lldt: case Mnemonic.Ltr: return ExecLldtLtr(i);
            case Mnemonic.Sldt: case Mnemonic.Str: return ExecSldtStr(i);
            case Mnemonic.Lmsw: case Mnemonic.Smsw: return ExecLmswSmsw(i);
            case Mnemonic.Clts:
                if (!RequireCpl0()) return false;
                _s.Cr0 &= ~ControlBits.Cr0TS;
                return true;
            case Mnemonic.Invlpg: return ExecInvlpg(i);
            case Mnemonic.Wbinvd: case Mnemonic.Invd: return RequireCpl0();
            case Mnemonic.Swapgs: return ExecSwapgs();
            case Mnemonic.Syscall: return ExecSyscall();
            case Mnemonic.Sysret: case Mnemonic.Sysretq: return ExecSysret(i);
            case Mnemonic.Lds: case Mnemonic.Les: case Mnemonic.Lfs: case Mnemonic.Lgs: case Mnemonic.Lss: return ExecLoadFarPointer(i);
            case Mnemonic.Lsl: case Mnemonic.Lar: return ExecLslLar(i);
            case Mnemonic.Verr: case Mnemonic.Verw: return ExecVerify(i);
            case Mnemonic.Ud0: case Mnemonic.Ud1: case Mnemonic.Ud2: return Fault(Vector.UD);
        }
        return ExecSse(i);
    }

    private bool ExecMov(in Instruction i)
    {
        Register r0 = i.Op0Kind == OpKind.Register ? i.Op0Register : Register.None;
        Register r1 = i.Op1Kind == OpKind.Register ? i.Op1Register : Register.None;
        if (r0 is >= Register.CR0 and <= Register.CR15 || r1 is >= Register.CR0 and <= Register.CR15) return ExecMovCr(i);
        if (r0 is >= Register.DR0 and <= Register.DR15 || r1 is >= Register.DR0 and <= Register.DR15) return ExecMovDr(i);
        if (r0 is >= Register.ES and <= Register.GS || r1 is >= Register.ES and <= Register.GS) return ExecMovSeg(i);
        if (!ReadOp(i, 1, out ulong v)) return false;
        if (r0 != Register.None)
        {
            WriteReg(r0, v);
            return true;
        }
        return MemLinear(i, out ulong lin) && WriteLinear(lin, i.MemorySize.GetSize(), v);
    }
}
