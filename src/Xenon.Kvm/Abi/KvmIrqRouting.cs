using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_irq_routing_irqchip</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct KvmIrqRoutingIrqchip
{
    /// <summary>Values of <see cref="Irqchip"/> for the in-kernel irqchip (KVM_IRQCHIP_*).</summary>
    public const uint PicMaster = 0, PicSlave = 1, Ioapic = 2;

    [FieldOffset(0)] public uint Irqchip;
    [FieldOffset(4)] public uint Pin;
}

/// <summary><c>struct kvm_irq_routing_msi</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmIrqRoutingMsi
{
    [FieldOffset(0)] public uint AddressLo;
    [FieldOffset(4)] public uint AddressHi;
    [FieldOffset(8)] public uint Data;
    [FieldOffset(12)] public uint Devid;
}

/// <summary><c>struct kvm_irq_routing_entry</c>; the union <c>u</c> (32 bytes) is at offset 16.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct KvmIrqRoutingEntry
{
    /// <summary>Values of <see cref="Type"/> (KVM_IRQ_ROUTING_*).</summary>
    public const uint TypeIrqchip = 1, TypeMsi = 2;

    [FieldOffset(0)] public uint Gsi;
    [FieldOffset(4)] public uint Type;
    [FieldOffset(8)] public uint Flags;
    [FieldOffset(12)] public uint Pad;
    [FieldOffset(16)] public KvmIrqRoutingIrqchip Irqchip;
    [FieldOffset(16)] public KvmIrqRoutingMsi Msi;

    public static KvmIrqRoutingEntry ForIrqchip(uint gsi, uint irqchip, uint pin)
        => new() { Gsi = gsi, Type = TypeIrqchip, Irqchip = new KvmIrqRoutingIrqchip { Irqchip = irqchip, Pin = pin } };

    public static KvmIrqRoutingEntry ForMsi(uint gsi, ulong address, uint data)
        => new() { Gsi = gsi, Type = TypeMsi, Msi = new KvmIrqRoutingMsi { AddressLo = (uint)address, AddressHi = (uint)(address >> 32), Data = data } };
}

/// <summary>Header of <c>struct kvm_irq_routing</c>; <see cref="KvmIrqRoutingEntry"/> entries follow it.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct KvmIrqRoutingHeader
{
    [FieldOffset(0)] public uint Nr;
    [FieldOffset(4)] public uint Flags;
}
