using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_pit_channel_state</c>: one i8254 counter.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct KvmPitChannelState
{
    [FieldOffset(0)] public uint Count;
    [FieldOffset(4)] public ushort LatchedCount;
    [FieldOffset(6)] public byte CountLatched;
    [FieldOffset(7)] public byte StatusLatched;
    [FieldOffset(8)] public byte Status;
    [FieldOffset(9)] public byte ReadState;
    [FieldOffset(10)] public byte WriteState;
    [FieldOffset(11)] public byte WriteLatch;
    [FieldOffset(12)] public byte RwMode;
    [FieldOffset(13)] public byte Mode;
    [FieldOffset(14)] public byte Bcd;
    [FieldOffset(15)] public byte Gate;
    /// <summary>Host ktime (ns) of the last count load. KVM_SET_PIT2 ignores it and reloads each count "now".</summary>
    [FieldOffset(16)] public long CountLoadTime;
}

/// <summary><c>struct kvm_pit_state2</c> (KVM_GET_PIT2 / KVM_SET_PIT2).</summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
public unsafe struct KvmPitState2
{
    /// <summary>KVM_PIT_FLAGS_HPET_LEGACY, KVM_PIT_FLAGS_SPEAKER_DATA_ON.</summary>
    public const uint FlagHpetLegacy = 1, FlagSpeakerDataOn = 2;

    [FieldOffset(0)] public KvmPitChannelState Channel0;
    [FieldOffset(24)] public KvmPitChannelState Channel1;
    [FieldOffset(48)] public KvmPitChannelState Channel2;
    [FieldOffset(72)] public uint Flags;
    [FieldOffset(76)] public fixed uint Reserved[9];
}
