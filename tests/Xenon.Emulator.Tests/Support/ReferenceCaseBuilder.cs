using Iced.Intel;

namespace Xenon.Emulator.Tests.Support;

/// <summary>
/// Builds one-instruction test programs from Iced's opcode tables: every 64-bit legacy encoding of a mnemonic whose
/// operands are registers, a memory operand at [RSI], or immediates, with the register-or-memory operand in both forms.
/// </summary>
internal static class ReferenceCaseBuilder
{
    public const ulong DataPointer = 0x200010; // RSI: 16 bytes into the 64-byte buffer, room either side

    /// <summary>All encodable instructions for <paramref name="mnemonic"/>, with random immediates from <paramref name="rng"/>.</summary>
    public static IEnumerable<(Code Code, Func<Random, Instruction> Make)> Forms(Mnemonic mnemonic)
    {
        foreach (Code code in Enum.GetValues<Code>())
        {
            if (code.Mnemonic() != mnemonic) continue;
            OpCodeInfo op = code.ToOpCode();
            if (!op.Mode64 || op.Encoding != EncodingKind.Legacy || op.IsInstruction == false) continue;
            if (code.ToString().Contains("rel", StringComparison.Ordinal)) continue;
            // Only what the emulated CPU advertises: no SSE3+/AVX forms of the same mnemonic.
            if (code.CpuidFeatures().Any(f => f.ToString() is var n && (n.StartsWith("SSE3", StringComparison.Ordinal) ||
                n.StartsWith("SSSE3", StringComparison.Ordinal) || n.StartsWith("SSE4", StringComparison.Ordinal) || n.StartsWith("AVX", StringComparison.Ordinal))))
                continue;
            bool hasRm = false, hasMem = false, hasR8 = false, ok = true;
            for (int n = 0; n < op.OpCount; n++)
            {
                OpCodeOperandKind k = op.GetOpKind(n);
                hasRm |= IsRm(k);
                hasMem |= k == OpCodeOperandKind.mem;
                hasR8 |= k is OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode;
                if (!IsRm(k) && k != OpCodeOperandKind.mem && Reg(k, 0) == Register.None && ImmediateOperands.KindOf(k) == OpKind.Register) ok = false;
            }
            if (!ok) continue;
            if (hasMem)
            {
                yield return (code, r => Make(code, op, memory: true, highBytes: false, r));
                continue;
            }
            yield return (code, r => Make(code, op, memory: false, highBytes: false, r));
            if (hasRm) yield return (code, r => Make(code, op, memory: true, highBytes: false, r));
            if (hasR8) yield return (code, r => Make(code, op, memory: false, highBytes: true, r));
        }
    }

    private static bool IsRm(OpCodeOperandKind k) => k is OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem
        or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem or OpCodeOperandKind.xmm_or_mem;

    /// <summary>The register a register-only operand kind uses: RBX family for ModRM.reg, RDX family for ModRM.rm (variant 1),
    /// the implied accumulator/count registers as the encoding requires.</summary>
    private static Register Reg(OpCodeOperandKind k, int rmOrReg, bool high = false) => k switch
    {
        OpCodeOperandKind.al => Register.AL,
        OpCodeOperandKind.cl => Register.CL,
        OpCodeOperandKind.ax => Register.AX,
        OpCodeOperandKind.dx => Register.DX,
        OpCodeOperandKind.eax => Register.EAX,
        OpCodeOperandKind.rax => Register.RAX,
        OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode => rmOrReg == 0 ? (high ? Register.BH : Register.BL) : (high ? Register.AH : Register.DL),
        OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode => rmOrReg == 0 ? Register.BX : Register.DX,
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode => rmOrReg == 0 ? Register.EBX : Register.EDX,
        OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode => rmOrReg == 0 ? Register.RBX : Register.RDX,
        OpCodeOperandKind.xmm_reg => Register.XMM1,
        OpCodeOperandKind.xmm_rm or OpCodeOperandKind.xmm_or_mem => Register.XMM2,
        OpCodeOperandKind.r8_or_mem => high ? Register.AH : Register.DL,
        OpCodeOperandKind.r16_or_mem => Register.DX,
        OpCodeOperandKind.r32_or_mem => Register.EDX,
        OpCodeOperandKind.r64_or_mem => Register.RDX,
        _ => Register.None,
    };

    private static Instruction Make(Code code, OpCodeInfo op, bool memory, bool highBytes, Random rng)
    {
        var ins = new Instruction { Code = code };
        for (int n = 0; n < op.OpCount; n++)
        {
            OpCodeOperandKind k = op.GetOpKind(n);
            if ((IsRm(k) && memory) || k == OpCodeOperandKind.mem)
            {
                ins.SetOpKind(n, OpKind.Memory);
                ins.MemoryBase = Register.RSI;
                ins.MemoryIndex = Register.None;
                continue;
            }
            OpKind imm = ImmediateOperands.KindOf(k);
            if (imm != OpKind.Register)
            {
                ImmediateOperands.Set(ref ins, n, k, imm, (ulong)rng.NextInt64());
                continue;
            }
            ins.SetOpKind(n, OpKind.Register);
            ins.SetOpRegister(n, Reg(k, IsRm(k) ? 1 : 0, highBytes));
        }
        return ins;
    }

    /// <summary>The encoding, or null where the operand choice cannot be encoded (AH with a REX prefix).</summary>
    public static byte[]? Encode(in Instruction ins, ulong rip)
    {
        var w = new Writer();
        var enc = Encoder.Create(64, w);
        return enc.TryEncode(ins, rip, out _, out _) ? [.. w.Bytes] : null;
    }

    private sealed class Writer : CodeWriter
    {
        public readonly List<byte> Bytes = [];
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
