using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_irqfd</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct KvmIrqfd
{
    public const uint FlagDeassign = 1, FlagResample = 2;

    [FieldOffset(0)] public uint Fd;
    [FieldOffset(4)] public uint Gsi;
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(12)] public uint Resamplefd;
}
