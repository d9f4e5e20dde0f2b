using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_ioeventfd</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct KvmIoeventfd
{
    [FieldOffset(0)] public ulong Datamatch;
    [FieldOffset(8)] public ulong Addr;
    [FieldOffset(16)] public uint Len;
    [FieldOffset(20)] public int Fd;
    [FieldOffset(24)] public uint Flags;
}

/// <summary>Flags of <see cref="KvmIoeventfd.Flags"/> (KVM_IOEVENTFD_FLAG_*).</summary>
[Flags]
public enum KvmIoeventfdFlags : uint
{
    None = 0,
    Datamatch = 1,
    Pio = 2,
    Deassign = 4,
}
