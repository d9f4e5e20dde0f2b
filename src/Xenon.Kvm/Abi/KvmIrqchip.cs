using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_pic_state</c>: one i8259 of the in-kernel PIC pair.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmPicState
{
    [FieldOffset(0)] public byte LastIrr;
    [FieldOffset(1)] public byte Irr;
    [FieldOffset(2)] public byte Imr;
    [FieldOffset(3)] public byte Isr;
    [FieldOffset(4)] public byte PriorityAdd;
    [FieldOffset(5)] public byte IrqBase;
    [FieldOffset(6)] public byte ReadRegSelect;
    [FieldOffset(7)] public byte Poll;
    [FieldOffset(8)] public byte SpecialMask;
    [FieldOffset(9)] public byte InitState;
    [FieldOffset(10)] public byte AutoEoi;
    [FieldOffset(11)] public byte RotateOnAutoEoi;
    [FieldOffset(12)] public byte SpecialFullyNestedMode;
    [FieldOffset(13)] public byte Init4;
    [FieldOffset(14)] public byte Elcr;
    [FieldOffset(15)] public byte ElcrMask;
}

/// <summary><c>struct kvm_ioapic_state</c>: the in-kernel IOAPIC; <see cref="Redirtbl"/> holds the raw 64-bit redirection entries.</summary>
[StructLayout(LayoutKind.Explicit, Size = 216)]
public unsafe struct KvmIoapicState
{
    /// <summary>KVM_IOAPIC_NUM_PINS.</summary>
    public const int Pins = 24;

    [FieldOffset(0)] public ulong BaseAddress;
    [FieldOffset(8)] public uint Ioregsel;
    [FieldOffset(12)] public uint Id;
    [FieldOffset(16)] public uint Irr;
    [FieldOffset(20)] public uint Pad;
    [FieldOffset(24)] public fixed ulong Redirtbl[Pins];
}

/// <summary><c>struct kvm_irqchip</c> (KVM_GET_IRQCHIP / KVM_SET_IRQCHIP): one chip, chosen by <see cref="ChipId"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 520)]
public struct KvmIrqchip
{
    /// <summary>KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC.</summary>
    public const uint PicMaster = 0, PicSlave = 1, Ioapic = 2;

    [FieldOffset(0)] public uint ChipId;
    [FieldOffset(4)] public uint Pad;
    /// <summary>Valid when <see cref="ChipId"/> is a PIC.</summary>
    [FieldOffset(8)] public KvmPicState Pic;
    /// <summary>Valid when <see cref="ChipId"/> is <see cref="Ioapic"/> (the 512-byte union overlays both).</summary>
    [FieldOffset(8)] public KvmIoapicState IoapicState;
}
