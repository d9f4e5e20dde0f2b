using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xenon.Emulator.State;

[InlineArray(16)]
public struct GprFile { private ulong _element; }

[InlineArray(16)]
public struct XmmFile { private Vector128<ulong> _element; }

[InlineArray(6)]
public struct SegmentFile { private SegmentRegister _element; }

/// <summary>x87 state kept so FXSAVE/FXRSTOR round-trip and FNINIT/FNSTCW/FLDCW work; the FPU does no arithmetic.</summary>
[InlineArray(8)]
public struct X87Registers { private UInt128 _element; }

/// <summary>
/// The architectural state of one vCPU. The integer registers are GPR[0..15] in hardware order (RAX, RCX, RDX, RBX, RSP, RBP,
/// RSI, RDI, R8..R15). RFLAGS is split: the status flags live lazily in the interpreter and are folded in by <see cref="Cpu.GetRflags"/>.
/// </summary>
public sealed class CpuState
{
    public GprFile Gpr;
    public ulong Rip;
    /// <summary>RFLAGS without the six status flags (those are in the lazy flags).</summary>
    public ulong FlagsControl = RFlags.Fixed1;
    internal LazyFlags Lazy;

    public SegmentFile Segments;
    public SegmentRegister Ldtr, Tr;
    public DescriptorTableRegister Gdtr, Idtr;

    public ulong Cr0 = ControlBits.Cr0ET | ControlBits.Cr0CD | ControlBits.Cr0NW, Cr2, Cr3, Cr4, Cr8, Efer;
    public ulong Xcr0 = 1;
    public ulong Dr0, Dr1, Dr2, Dr3, Dr6 = 0xFFFF0FF0, Dr7 = 0x400;

    public ulong KernelGsBase, Star, Lstar, Cstar, Sfmask, SysenterCs, SysenterEsp, SysenterEip, TscAux;
    public ulong Pat = 0x0007040600070406, MtrrDefType, MiscEnable = 1, ApicBase = 0xFEE00000 | 0x800;
    /// <summary>Added to the host clock to form the guest TSC.</summary>
    public long TscOffset;

    public XmmFile Xmm;
    public uint Mxcsr = 0x1F80;
    public ushort Fcw = 0x37F, Fsw, Fop;
    public byte Ftw;
    public ulong Fip, Fdp;
    public X87Registers St;

    /// <summary>Interrupts are inhibited until after the next instruction (STI, MOV SS, POP SS).</summary>
    public bool InterruptShadow;
    public bool Halted;

    /// <summary>Current privilege level: the RPL of CS once in protected mode (CS is only loaded with RPL = DPL of the code segment).</summary>
    public int Cpl => ProtectedMode ? Segments[Seg.Cs].Selector & 3 : 0;
    public bool ProtectedMode => (Cr0 & ControlBits.Cr0PE) != 0;
    public bool LongModeActive => (Efer & ControlBits.EferLMA) != 0;
    public bool Is64BitCode => LongModeActive && Segments[Seg.Cs].Long;

    /// <summary>The reset state (SDM 9.1.1): real mode at F000:FFF0 with CS base FFFF0000.</summary>
    public void Reset()
    {
        Gpr = default;
        Gpr[2] = 0x600; // EDX = a family/model/stepping signature (Cpu.Reset puts its CPUID model's there)
        Rip = 0xFFF0;
        FlagsControl = RFlags.Fixed1;
        Lazy = default;
        for (int i = 0; i < 6; i++) Segments[i] = SegmentRegister.RealMode(0, code: false);
        Segments[Seg.Cs] = SegmentRegister.RealMode(0xF000, code: true);
        Segments[Seg.Cs].Base = 0xFFFF0000;
        Ldtr = new SegmentRegister { Limit = 0xFFFF, Attributes = 0x82 };
        Tr = new SegmentRegister { Limit = 0xFFFF, Attributes = 0x8B };
        Gdtr = new DescriptorTableRegister { Limit = 0xFFFF };
        Idtr = new DescriptorTableRegister { Limit = 0xFFFF };
        Cr0 = ControlBits.Cr0ET | ControlBits.Cr0CD | ControlBits.Cr0NW;
        Cr2 = Cr3 = Cr4 = Cr8 = Efer = 0;
        Xcr0 = 1;
        Xmm = default;
        Mxcsr = 0x1F80;
        Fcw = 0x37F;
        Fsw = 0;
        Ftw = 0;
        InterruptShadow = false;
        Halted = false;
    }
}
