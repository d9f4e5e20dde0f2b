using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_enable_cap</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 104)]
public unsafe struct KvmEnableCap
{
    [FieldOffset(0)] public uint Cap;
    [FieldOffset(4)] public uint Flags;
    [FieldOffset(8)] public fixed ulong Args[4];
}
