using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary>Header of <c>struct kvm_msr_list</c> (KVM_GET_MSR_INDEX_LIST); <see cref="Nmsrs"/> 32-bit MSR indices follow it.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct KvmMsrListHeader
{
    [FieldOffset(0)] public uint Nmsrs;
}
