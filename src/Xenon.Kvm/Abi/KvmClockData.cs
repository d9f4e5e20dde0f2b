using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_clock_data</c> (KVM_GET_CLOCK / KVM_SET_CLOCK): the guest's kvmclock in ns.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct KvmClockData
{
    public const uint FlagTscStable = 2, FlagRealtime = 4, FlagHostTsc = 8;

    [FieldOffset(0)] public ulong Clock;
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(12)] public uint Pad0;
    [FieldOffset(16)] public ulong Realtime;
    [FieldOffset(24)] public ulong HostTsc;
}
