using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_mp_state</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct KvmMpState
{
    [FieldOffset(0)] public uint MpState;
}

/// <summary>Values of <see cref="KvmMpState.MpState"/> used on x86 (KVM_MP_STATE_*).</summary>
public enum KvmMpStateValue : uint
{
    Runnable = 0,
    Uninitialized = 1,
    InitReceived = 2,
    Halted = 3,
    SipiReceived = 4,
    ApResetHold = 9,
}
