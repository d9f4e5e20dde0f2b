using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_userspace_memory_region</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct KvmUserspaceMemoryRegion
{
    [FieldOffset(0)] public uint Slot;
    [FieldOffset(4)] public uint Flags;
    [FieldOffset(8)] public ulong GuestPhysAddr;
    [FieldOffset(16)] public ulong MemorySize;
    [FieldOffset(24)] public ulong UserspaceAddr;
}

/// <summary>Flags of <see cref="KvmUserspaceMemoryRegion.Flags"/> (KVM_MEM_*).</summary>
[Flags]
public enum KvmMemoryFlags : uint
{
    None = 0,
    LogDirtyPages = 1,
    ReadOnly = 2,
}
