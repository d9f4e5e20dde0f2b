using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_dirty_log</c> (KVM_GET_DIRTY_LOG).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmDirtyLog
{
    [FieldOffset(0)] public uint Slot;
    [FieldOffset(4)] public uint Padding1;
    /// <summary>User address of the bitmap, one bit a page, rounded up to 64 bits.</summary>
    [FieldOffset(8)] public ulong DirtyBitmap;
}
