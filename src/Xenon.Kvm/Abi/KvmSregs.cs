using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_segment</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct KvmSegment
{
    [FieldOffset(0)] public ulong Base;
    [FieldOffset(8)] public uint Limit;
    [FieldOffset(12)] public ushort Selector;
    [FieldOffset(14)] public byte Type;
    [FieldOffset(15)] public byte Present;
    [FieldOffset(16)] public byte Dpl;
    [FieldOffset(17)] public byte Db;
    [FieldOffset(18)] public byte S;
    [FieldOffset(19)] public byte L;
    [FieldOffset(20)] public byte G;
    [FieldOffset(21)] public byte Avl;
    [FieldOffset(22)] public byte Unusable;
    [FieldOffset(23)] public byte Padding;
}

/// <summary><c>struct kvm_dtable</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmDtable
{
    [FieldOffset(0)] public ulong Base;
    [FieldOffset(8)] public ushort Limit;
}

/// <summary><c>struct kvm_sregs</c> (x86).</summary>
[StructLayout(LayoutKind.Explicit, Size = 312)]
public unsafe struct KvmSregs
{
    [FieldOffset(0)] public KvmSegment Cs;
    [FieldOffset(24)] public KvmSegment Ds;
    [FieldOffset(48)] public KvmSegment Es;
    [FieldOffset(72)] public KvmSegment Fs;
    [FieldOffset(96)] public KvmSegment Gs;
    [FieldOffset(120)] public KvmSegment Ss;
    [FieldOffset(144)] public KvmSegment Tr;
    [FieldOffset(168)] public KvmSegment Ldt;
    [FieldOffset(192)] public KvmDtable Gdt;
    [FieldOffset(208)] public KvmDtable Idt;
    [FieldOffset(224)] public ulong Cr0;
    [FieldOffset(232)] public ulong Cr2;
    [FieldOffset(240)] public ulong Cr3;
    [FieldOffset(248)] public ulong Cr4;
    [FieldOffset(256)] public ulong Cr8;
    [FieldOffset(264)] public ulong Efer;
    [FieldOffset(272)] public ulong ApicBase;
    /// <summary>Pending external interrupt, one bit per vector (256 vectors).</summary>
    [FieldOffset(280)] public fixed ulong InterruptBitmap[4];
}
