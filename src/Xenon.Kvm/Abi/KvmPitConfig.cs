using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_pit_config</c> (KVM_CREATE_PIT2).</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct KvmPitConfig
{
    /// <summary>KVM_PIT_SPEAKER_DUMMY: KVM emulates port 0x61 instead of exiting for it.</summary>
    public const uint SpeakerDummy = 1;

    [FieldOffset(0)] public uint Flags;
}
