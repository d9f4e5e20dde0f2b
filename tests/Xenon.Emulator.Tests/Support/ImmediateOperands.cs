using Iced.Intel;

namespace Xenon.Emulator.Tests.Support;

/// <summary>Immediate operands for instructions the test generators build from Iced's opcode tables.</summary>
internal static class ImmediateOperands
{
    /// <summary>The operand kind an opcode's immediate operand takes; <see cref="OpKind.Register"/> when it is not one.</summary>
    public static OpKind KindOf(OpCodeOperandKind k) => k switch
    {
        OpCodeOperandKind.imm8 or OpCodeOperandKind.imm8_const_1 => OpKind.Immediate8,
        OpCodeOperandKind.imm16 => OpKind.Immediate16,
        OpCodeOperandKind.imm32 => OpKind.Immediate32,
        OpCodeOperandKind.imm64 => OpKind.Immediate64,
        OpCodeOperandKind.imm8sex16 => OpKind.Immediate8to16,
        OpCodeOperandKind.imm8sex32 => OpKind.Immediate8to32,
        OpCodeOperandKind.imm8sex64 => OpKind.Immediate8to64,
        OpCodeOperandKind.imm32sex64 => OpKind.Immediate32to64,
        _ => OpKind.Register,
    };

    /// <summary>Makes operand <paramref name="n"/> the immediate <paramref name="value"/>, truncated to its kind
    /// (the shift-by-one form always holds 1).</summary>
    public static void Set(ref Instruction ins, int n, OpCodeOperandKind k, OpKind kind, ulong value)
    {
        ins.SetOpKind(n, kind);
        if (k == OpCodeOperandKind.imm8_const_1) value = 1;
        switch (kind)
        {
            case OpKind.Immediate8: ins.Immediate8 = (byte)value; break;
            case OpKind.Immediate16: ins.Immediate16 = (ushort)value; break;
            case OpKind.Immediate32: ins.Immediate32 = (uint)value; break;
            case OpKind.Immediate64: ins.Immediate64 = value; break;
            case OpKind.Immediate8to16: ins.Immediate8to16 = (sbyte)value; break;
            case OpKind.Immediate8to32: ins.Immediate8to32 = (sbyte)value; break;
            case OpKind.Immediate8to64: ins.Immediate8to64 = (sbyte)value; break;
            case OpKind.Immediate32to64: ins.Immediate32to64 = (int)value; break;
        }
    }
}
