using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_xcr</c>: one extended control register (XCR0 is the only one x86 defines today).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmXcr
{
    [FieldOffset(0)] public uint Xcr;
    [FieldOffset(4)] public uint Reserved;
    [FieldOffset(8)] public ulong Value;
}

/// <summary><c>struct kvm_xcrs</c> (KVM_GET_XCRS / KVM_SET_XCRS).</summary>
[StructLayout(LayoutKind.Explicit, Size = 392)]
public unsafe struct KvmXcrs
{
    /// <summary>KVM_MAX_XCRS.</summary>
    public const int MaxXcrs = 16;

    [FieldOffset(0)] public uint NrXcrs;
    [FieldOffset(4)] public uint Flags;
    /// <summary><see cref="MaxXcrs"/> × <see cref="KvmXcr"/>; read and written through <see cref="Get"/> and <see cref="Set"/>.</summary>
    [FieldOffset(8)] public fixed byte Xcrs[MaxXcrs * 16];
    [FieldOffset(264)] public fixed ulong Padding[16];

    public KvmXcr Get(int index)
    {
        CheckIndex(index);
        fixed (byte* p = Xcrs) return ((KvmXcr*)p)[index];
    }

    public void Set(int index, KvmXcr value)
    {
        CheckIndex(index);
        fixed (byte* p = Xcrs) ((KvmXcr*)p)[index] = value;
    }

    private static void CheckIndex(int index)
    {
        if ((uint)index >= MaxXcrs) throw new ArgumentOutOfRangeException(nameof(index), index, $"kvm_xcrs holds at most {MaxXcrs} entries");
    }
}
