using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_msr_entry</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmMsrEntry
{
    [FieldOffset(0)] public uint Index;
    [FieldOffset(4)] public uint Reserved;
    [FieldOffset(8)] public ulong Data;
}

/// <summary>Header of <c>struct kvm_msrs</c>; <see cref="KvmMsrEntry"/> entries follow it.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct KvmMsrsHeader
{
    [FieldOffset(0)] public uint Nmsrs;
    [FieldOffset(4)] public uint Pad;
}
