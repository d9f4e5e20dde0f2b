namespace Xenon.Emulator.Execution;

/// <summary>The shape of a pre-decoded instruction the fast path runs without going back to Iced's fields.</summary>
internal enum FastKind : byte
{
    /// <summary>Not pre-decoded: the interpreter's handler runs it (the reference for every other kind).</summary>
    None,
    MovRR, MovRI, MovRM, MovMR, MovMI,
    AluRR, AluRI, AluRM, AluMR, AluMI,
    IncDecR, IncDecM,
    Lea,
    ExtendRR, ExtendRM,
    Jcc, Jmp, Call, Ret, Push, Pop,
    ShiftR, ShiftM,
    Nop,
    SetccR, SetccM, CmovRR, CmovRM,
    BtRR, BtRI,
    ImulR, ImulM, MulR, MulM,
    XchgRR,
    NegNotR, DivR, DivM,
}

/// <summary>ALU operation of the Alu* kinds (and Inc/Dec), in the order of their opcode extension.</summary>
internal enum FastAlu : byte { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test, Inc, Dec }

/// <summary>Operation of the Bt* kinds.</summary>
internal enum FastBit : byte { Bt, Bts, Btr, Btc }

/// <summary>
/// One instruction of a 64-bit block with its operands resolved at decode time: GPR indexes (and the 8-bit shift of
/// AH..BH), operand size, immediate or branch target, and the memory operand's parts (base, index, scale, displacement,
/// segment, address size). Built by <c>Cpu.BuildFastOp</c> only for forms it reproduces exactly; anything else stays
/// <see cref="FastKind.None"/>.
/// </summary>
internal struct FastOp
{
    public const byte NoReg = 0xFF;

    public FastKind Kind;
    /// <summary>FastAlu for the ALU kinds, Iced's ConditionCode for Jcc, SETcc and CMOVcc, 1 for sign extension in Extend*,
    /// the index in <c>Cpu.ShiftMnemonics</c> for Shift*, <see cref="FastBit"/> for Bt*, 1 for IMUL in Mul*, 1 for NEG (0 NOT) in NegNotR, 1 for IDIV in Div*.</summary>
    public byte Sub;
    /// <summary>Destination operand size in bytes.</summary>
    public byte Size;
    /// <summary>Source size in bytes (Extend*); for Shift*, 1 if the count is CL, 0 if it is <see cref="Imm"/>; for Imul*, 1
    /// if the form has three operands (source times <see cref="Imm"/>), 0 for destination times source.</summary>
    public byte SrcSize;
    public byte Dst, DstShift, Src, SrcShift;
    public byte Base, Index, Scale, Seg, AddrSize;
    /// <summary>Immediate (sign-extended as the decoder gives it) or near-branch target.</summary>
    public ulong Imm;
    /// <summary>Displacement; for RIP-relative operands already the absolute address (Base = NoReg).</summary>
    public ulong Disp;
}
