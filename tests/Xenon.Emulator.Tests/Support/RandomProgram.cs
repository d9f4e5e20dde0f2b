using Iced.Intel;

namespace Xenon.Emulator.Tests.Support;

/// <summary>
/// Random 64-bit programs for comparing the fast path with the interpreter: the integer forms the fast path pre-decodes
/// (MOV, the ALU ops, INC/DEC, LEA, MOVZX/MOVSX/MOVSXD, PUSH/POP, Jcc, JMP, CALL/RET, shifts, SETcc, CMOVcc, MUL/IMUL,
/// XCHG and BT/BTS/BTR/BTC on registers) mixed with forms it leaves to the interpreter (NEG/NOT, XCHG and BT* on memory,
/// LOCK), every legal encoding, random registers (high bytes
/// included), memory operands [RBX + index*scale + disp] and RIP-relative into the data page, and forward branches
/// and calls. RBX (data base), RSP, RSI and RDI (small indexes) are never destinations, so addresses stay in RAM unless
/// a displacement deliberately points outside it.
/// </summary>
internal static class RandomProgram
{
    public const ulong Data = 0x200000;

    private static readonly Mnemonic[] Mnemonics =
    [
        Mnemonic.Mov, Mnemonic.Add, Mnemonic.Or, Mnemonic.Adc, Mnemonic.Sbb, Mnemonic.And, Mnemonic.Sub, Mnemonic.Xor,
        Mnemonic.Cmp, Mnemonic.Test, Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Lea, Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Movsxd,
        Mnemonic.Shl, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Imul, Mnemonic.Mul, Mnemonic.Neg, Mnemonic.Not,
        Mnemonic.Xchg, Mnemonic.Sete, Mnemonic.Setb, Mnemonic.Setl, Mnemonic.Setg, Mnemonic.Seto, Mnemonic.Setbe, Mnemonic.Setp,
        Mnemonic.Cmovl, Mnemonic.Cmovne, Mnemonic.Cmova, Mnemonic.Cmovs, Mnemonic.Cmovge, Mnemonic.Cmovno,
        Mnemonic.Bt, Mnemonic.Bts, Mnemonic.Btr, Mnemonic.Btc, Mnemonic.Nop, Mnemonic.Div, Mnemonic.Idiv,
    ];

    private static readonly Code[] Forms = BuildForms();

    private static Code[] BuildForms()
    {
        var list = new List<Code>();
        foreach (Code code in Enum.GetValues<Code>())
        {
            if (Array.IndexOf(Mnemonics, code.Mnemonic()) < 0) continue;
            OpCodeInfo op = code.ToOpCode();
            if (!op.Mode64 || op.Encoding != EncodingKind.Legacy || !op.IsInstruction) continue;
            bool ok = op.OpCount <= 3;
            for (int n = 0; n < op.OpCount && ok; n++) ok = Supported(op.GetOpKind(n));
            if (ok) list.Add(code);
        }
        return [.. list];
    }

    private static bool Supported(OpCodeOperandKind k) => RegisterSize(k) != 0 || IsRm(k) || k == OpCodeOperandKind.mem ||
        ImmediateOperands.KindOf(k) != OpKind.Register || k is OpCodeOperandKind.al or OpCodeOperandKind.cl or OpCodeOperandKind.ax
            or OpCodeOperandKind.eax or OpCodeOperandKind.rax;

    private static bool IsRm(OpCodeOperandKind k) => k is OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem
        or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem;

    private static int RegisterSize(OpCodeOperandKind k) => k switch
    {
        OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode or OpCodeOperandKind.r8_or_mem => 1,
        OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode or OpCodeOperandKind.r16_or_mem => 2,
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.r32_or_mem => 4,
        OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode or OpCodeOperandKind.r64_or_mem => 8,
        _ => 0,
    };

    // Destinations and sources: never RBX, RSP, RSI, RDI (their byte forms BL, SPL, SIL, DIL and BH included).
    private static readonly Register[] R8 = [Register.AL, Register.CL, Register.DL, Register.AH, Register.CH, Register.DH,
        Register.BPL, Register.R8L, Register.R9L, Register.R12L, Register.R15L];
    private static readonly int[] Family = [0, 1, 2, 5, 8, 9, 10, 11, 12, 13, 14, 15];

    private static Register Gpr(Random rng, int size)
    {
        if (size == 1) return R8[rng.Next(R8.Length)];
        int f = Family[rng.Next(Family.Length)];
        return size switch { 2 => Register.AX + f, 4 => Register.EAX + f, _ => Register.RAX + f };
    }

    private static void SetMemory(ref Instruction ins, Random rng)
    {
        switch (rng.Next(8))
        {
            case 0:
                // RIP-relative into the data page (the encoder turns the absolute address into rel32)
                ins.MemoryBase = Register.RIP;
                ins.MemoryIndex = Register.None;
                ins.MemoryDisplacement64 = Data + (ulong)rng.Next(0, 0xF00);
                ins.MemoryDisplSize = 8;
                return;
            case 1:
                // Occasionally an address outside RAM: the access must fault identically both ways.
                ins.MemoryBase = Register.RBX;
                ins.MemoryIndex = Register.None;
                ins.MemoryDisplacement64 = 0x40000000;
                ins.MemoryDisplSize = 4;
                return;
        }
        ins.MemoryBase = Register.RBX;
        ins.MemoryIndex = rng.Next(3) switch { 0 => Register.None, 1 => Register.RSI, _ => Register.RDI };
        ins.MemoryIndexScale = ins.MemoryIndex == Register.None ? 1 : 1 << rng.Next(4);
        ins.MemoryDisplacement64 = (ulong)rng.Next(0, 0x800);
        ins.MemoryDisplSize = ins.MemoryDisplacement64 < 0x80 ? 1 : 4;
        if (rng.Next(10) == 0)
        {
            // a 32-bit address (67 prefix) through the same registers
            ins.MemoryBase = Register.EBX;
            if (ins.MemoryIndex != Register.None) ins.MemoryIndex = ins.MemoryIndex == Register.RSI ? Register.ESI : Register.EDI;
        }
    }

    private static Instruction? RandomInstruction(Random rng, ulong ip)
    {
        Code code = Forms[rng.Next(Forms.Length)];
        OpCodeInfo op = code.ToOpCode();
        var ins = new Instruction { Code = code };
        bool memory = rng.Next(3) == 0;
        for (int n = 0; n < op.OpCount; n++)
        {
            OpCodeOperandKind k = op.GetOpKind(n);
            if ((IsRm(k) && memory) || k == OpCodeOperandKind.mem)
            {
                ins.SetOpKind(n, OpKind.Memory);
                SetMemory(ref ins, rng);
                continue;
            }
            OpKind imm = ImmediateOperands.KindOf(k);
            if (imm != OpKind.Register)
            {
                ImmediateOperands.Set(ref ins, n, k, imm, Interesting(rng));
                continue;
            }
            ins.SetOpKind(n, OpKind.Register);
            ins.SetOpRegister(n, k switch
            {
                OpCodeOperandKind.al => Register.AL,
                OpCodeOperandKind.cl => Register.CL,
                OpCodeOperandKind.ax => Register.AX,
                OpCodeOperandKind.eax => Register.EAX,
                OpCodeOperandKind.rax => Register.RAX,
                _ => Gpr(rng, RegisterSize(k)),
            });
        }
        if (rng.Next(20) == 0 && ins.Op0Kind == OpKind.Memory && code.ToOpCode().CanUseLockPrefix) ins.HasLockPrefix = true;
        // AH..DH cannot be encoded beside a REX prefix: such a pick is dropped.
        return ReferenceCaseBuilder.Encode(ins, ip) is null ? null : ins;
    }

    internal static ulong Interesting(Random rng) => rng.Next(6) switch
    {
        0 => 0,
        1 => (ulong)rng.Next(-2, 3),
        2 => 0x7F + (ulong)rng.Next(0, 3),
        3 => 0x7FFFFFFF + (ulong)rng.Next(0, 3),
        4 => 0x8000000000000000UL - (ulong)rng.Next(0, 3),
        _ => (ulong)rng.NextInt64() ^ ((ulong)rng.NextInt64() << 32),
    };

    /// <summary>
    /// A program at <paramref name="origin"/>: <paramref name="length"/> random instructions with forward Jcc/JMP and calls
    /// into small random functions placed after the final HLT.
    /// </summary>
    public static byte[] Build(Random rng, ulong origin, int length) => Build(rng, origin, length, loop: false);

    /// <summary>The loop counter of <see cref="BuildLoop"/> (a qword outside the data page, below the 4 MiB of 4 KiB pages).</summary>
    public const ulong LoopCounter = 0x300000;

    /// <summary>
    /// Like <see cref="Build"/>, but the body runs again while <c>dec qword [LoopCounter]</c> leaves it non-zero, so its
    /// blocks get hot (the IL tier translates them).
    /// </summary>
    public static byte[] BuildLoop(Random rng, ulong origin, int length) => Build(rng, origin, length, loop: true);

    private static byte[] Build(Random rng, ulong origin, int length, bool loop)
    {
        // Labels are fake IPs (the block encoder resolves branches by the target instruction's IP).
        ulong label = 0x1000;
        var body = new List<Instruction>();
        int functions = 3;
        ulong[] fnLabel = [0x900000, 0x910000, 0x920000];
        for (int k = 0; k < length; k++)
        {
            int roll = rng.Next(100);
            if (roll < 8)
            {
                // forward conditional (or plain) branch over the next few instructions
                ulong target = label + (ulong)(16 * (1 + rng.Next(5)));
                Code c = roll < 6 ? JccCodes[rng.Next(JccCodes.Length)] : Code.Jmp_rel32_64;
                body.Add(Instruction.CreateBranch(c, target));
            }
            else if (roll < 12)
            {
                body.Add(Instruction.CreateBranch(Code.Call_rel32_64, fnLabel[rng.Next(functions)]));
            }
            else if (roll < 16)
            {
                // PUSH r64 / POP r64
                var r = Gpr(rng, 8);
                body.Add(Instruction.Create(rng.Next(2) == 0 ? Code.Push_r64 : Code.Pop_r64, r));
            }
            else if (RandomInstruction(rng, origin) is { } ins) body.Add(ins);
            else continue;
            var last = body[^1];
            last.IP = label;
            body[^1] = last;
            label += 16;
        }
        var end = Instruction.Create(Code.Hlt);
        // Branch targets past the end land on a NOP run before HLT.
        for (int p = 0; p < 6; p++)
        {
            var nop = Instruction.Create(Code.Nopd);
            nop.IP = label;
            body.Add(nop);
            label += 16;
        }
        if (loop)
        {
            var dec = Instruction.Create(Code.Dec_rm64, new MemoryOperand(Register.RIP, (long)LoopCounter));
            dec.IP = label;
            body.Add(dec);
            label += 16;
            var back = Instruction.CreateBranch(Code.Jne_rel32_64, 0x1000); // the body's first instruction
            back.IP = label;
            body.Add(back);
            label += 16;
        }
        end.IP = label;
        body.Add(end);
        for (int f = 0; f < functions; f++)
        {
            ulong ip = fnLabel[f];
            for (int k = 0, n = rng.Next(1, 6); k < n; k++)
            {
                if (RandomInstruction(rng, origin) is not { } ins) continue;
                ins.IP = ip;
                body.Add(ins);
                ip += 16;
            }
            var ret = Instruction.Create(Code.Retnq);
            ret.IP = ip;
            body.Add(ret);
        }
        var writer = new Writer();
        var block = new InstructionBlock(writer, body, origin);
        if (!BlockEncoder.TryEncode(64, block, out string? error, out _)) throw new InvalidOperationException(error);
        return [.. writer.Bytes];
    }

    private static readonly Code[] JccCodes =
    [
        Code.Jo_rel32_64, Code.Jno_rel32_64, Code.Jb_rel32_64, Code.Jae_rel32_64, Code.Je_rel32_64, Code.Jne_rel32_64,
        Code.Jbe_rel32_64, Code.Ja_rel32_64, Code.Js_rel32_64, Code.Jns_rel32_64, Code.Jp_rel32_64, Code.Jnp_rel32_64,
        Code.Jl_rel32_64, Code.Jge_rel32_64, Code.Jle_rel32_64, Code.Jg_rel32_64,
    ];

    private sealed class Writer : CodeWriter
    {
        public readonly List<byte> Bytes = [];
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
