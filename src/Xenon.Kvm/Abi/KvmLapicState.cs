using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_lapic_state</c>: the local APIC register page (1 KiB, registers at their xAPIC MMIO offsets).</summary>
[StructLayout(LayoutKind.Explicit, Size = 1024)]
public unsafe struct KvmLapicState
{
    public const int LvtLint0 = 0x350, LvtLint1 = 0x360;

    [FieldOffset(0)] public fixed byte Regs[1024];

    /// <summary>Reads the 32-bit register at <paramref name="offset"/> (must be 4-byte aligned, inside the page).</summary>
    public uint GetRegister(int offset)
    {
        CheckOffset(offset);
        fixed (byte* p = Regs) return *(uint*)(p + offset);
    }

    public void SetRegister(int offset, uint value)
    {
        CheckOffset(offset);
        fixed (byte* p = Regs) *(uint*)(p + offset) = value;
    }

    private static void CheckOffset(int offset)
    {
        if ((uint)offset > 1024 - 4 || (offset & 3) != 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "LAPIC register offset must be 4-byte aligned and below 0x400");
    }
}
