using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_msi</c>: one message-signalled interrupt for KVM_SIGNAL_MSI.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct KvmMsi
{
    [FieldOffset(0)] public uint AddressLo;
    [FieldOffset(4)] public uint AddressHi;
    [FieldOffset(8)] public uint Data;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint Devid;
    [FieldOffset(20)] public unsafe fixed byte Pad[12];
}
