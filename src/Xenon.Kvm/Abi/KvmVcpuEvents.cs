using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_vcpu_events</c>: exceptions, interrupts, NMIs and SMIs that are pending or being injected,
/// and the interrupt shadow. Flattened: the C struct's nested <c>exception</c>, <c>interrupt</c>, <c>nmi</c>, <c>smi</c>
/// and <c>triple_fault</c> members are fields with that prefix.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public unsafe struct KvmVcpuEvents
{
    /// <summary>KVM_VCPUEVENT_VALID_*: which groups KVM_SET_VCPU_EVENTS should apply.</summary>
    public const uint ValidNmiPending = 0x1, ValidSipiVector = 0x2, ValidShadow = 0x4, ValidSmm = 0x8, ValidPayload = 0x10, ValidTripleFault = 0x20;

    [FieldOffset(0)] public byte ExceptionInjected;
    [FieldOffset(1)] public byte ExceptionNr;
    [FieldOffset(2)] public byte ExceptionHasErrorCode;
    [FieldOffset(3)] public byte ExceptionPending;
    [FieldOffset(4)] public uint ExceptionErrorCode;
    [FieldOffset(8)] public byte InterruptInjected;
    [FieldOffset(9)] public byte InterruptNr;
    [FieldOffset(10)] public byte InterruptSoft;
    [FieldOffset(11)] public byte InterruptShadow;
    [FieldOffset(12)] public byte NmiInjected;
    [FieldOffset(13)] public byte NmiPending;
    [FieldOffset(14)] public byte NmiMasked;
    [FieldOffset(15)] public byte NmiPad;
    [FieldOffset(16)] public uint SipiVector;
    [FieldOffset(20)] public uint Flags;
    [FieldOffset(24)] public byte SmiSmm;
    [FieldOffset(25)] public byte SmiPending;
    [FieldOffset(26)] public byte SmiInsideNmi;
    [FieldOffset(27)] public byte SmiLatchedInit;
    [FieldOffset(28)] public byte TripleFaultPending;
    [FieldOffset(29)] public fixed byte Reserved[26];
    [FieldOffset(55)] public byte ExceptionHasPayload;
    [FieldOffset(56)] public ulong ExceptionPayload;
}
