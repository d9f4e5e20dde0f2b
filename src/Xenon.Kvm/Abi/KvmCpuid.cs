using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_cpuid_entry2</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
public struct KvmCpuidEntry2
{
    /// <summary>KVM_CPUID_FLAG_SIGNIFCANT_INDEX: the result depends on ECX (<see cref="Index"/>).</summary>
    public const uint FlagSignificantIndex = 1;

    [FieldOffset(0)] public uint Function;
    [FieldOffset(4)] public uint Index;
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(12)] public uint Eax;
    [FieldOffset(16)] public uint Ebx;
    [FieldOffset(20)] public uint Ecx;
    [FieldOffset(24)] public uint Edx;
}

/// <summary>Header of <c>struct kvm_cpuid2</c>; <see cref="KvmCpuidEntry2"/> entries follow it.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct KvmCpuid2Header
{
    [FieldOffset(0)] public uint Nent;
    [FieldOffset(4)] public uint Padding;
}
