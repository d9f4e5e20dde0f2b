using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_debugregs</c>: DR0–DR3, DR6, DR7. KVM_SET_DEBUGREGS refuses a non-zero <see cref="Flags"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
public unsafe struct KvmDebugRegs
{
    [FieldOffset(0)] public fixed ulong Db[4];
    [FieldOffset(32)] public ulong Dr6;
    [FieldOffset(40)] public ulong Dr7;
    [FieldOffset(48)] public ulong Flags;
    [FieldOffset(56)] public fixed ulong Reserved[9];
}
