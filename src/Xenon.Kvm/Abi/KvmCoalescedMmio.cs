using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary>struct kvm_coalesced_mmio_zone: an MMIO or port range whose guest writes KVM queues in the coalesced ring
/// instead of exiting (KVM_REGISTER_COALESCED_MMIO). <c>pio</c> shares a union with <c>pad</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmCoalescedMmioZone
{
    public ulong Addr;
    public uint Size;
    public uint Pio;
}

/// <summary>struct kvm_coalesced_mmio: one queued write (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmCoalescedMmio
{
    public const int MaxData = 8;

    public ulong PhysAddr;
    public uint Len;
    public uint Pio;
    public fixed byte Data[MaxData];
}

/// <summary>struct kvm_coalesced_mmio_ring's header: the entries follow it up to the end of its page. KVM appends at
/// <c>last</c>; user space consumes from <c>first</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmCoalescedMmioRing
{
    public uint First;
    public uint Last;
}
