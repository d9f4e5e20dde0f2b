using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_run</c>: the page shared with the kernel through the vCPU fd's mmap.
/// Only the x86 exit members this VMM reads are declared; the union is 256 bytes at offset 32.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2352)]
public struct KvmRun
{
    public const int ExitUnionOffset = 32;

    [FieldOffset(0)] public byte RequestInterruptWindow;
    [FieldOffset(1)] public byte ImmediateExit;
    [FieldOffset(8)] public uint ExitReason;
    [FieldOffset(12)] public byte ReadyForInterruptInjection;
    [FieldOffset(13)] public byte IfFlag;
    [FieldOffset(14)] public ushort Flags;
    [FieldOffset(16)] public ulong Cr8;
    [FieldOffset(24)] public ulong ApicBase;

    [FieldOffset(ExitUnionOffset)] public KvmRunHw Hw;
    [FieldOffset(ExitUnionOffset)] public KvmRunFailEntry FailEntry;
    [FieldOffset(ExitUnionOffset)] public KvmRunIo Io;
    [FieldOffset(ExitUnionOffset)] public KvmRunMmio Mmio;
    [FieldOffset(ExitUnionOffset)] public KvmRunInternal Internal;
    [FieldOffset(ExitUnionOffset)] public KvmRunSystemEvent SystemEvent;

    [FieldOffset(288)] public ulong KvmValidRegs;
    [FieldOffset(296)] public ulong KvmDirtyRegs;
}

/// <summary>KVM_EXIT_UNKNOWN payload.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct KvmRunHw
{
    [FieldOffset(0)] public ulong HardwareExitReason;
}

/// <summary>KVM_EXIT_FAIL_ENTRY payload.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmRunFailEntry
{
    [FieldOffset(0)] public ulong HardwareEntryFailureReason;
    [FieldOffset(8)] public uint Cpu;
}

/// <summary>KVM_EXIT_IO payload: <see cref="Count"/> items of <see cref="Size"/> bytes at <see cref="DataOffset"/> from the start of the run page.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct KvmRunIo
{
    public const byte DirectionIn = 0, DirectionOut = 1;

    [FieldOffset(0)] public byte Direction;
    [FieldOffset(1)] public byte Size;
    [FieldOffset(2)] public ushort Port;
    [FieldOffset(4)] public uint Count;
    [FieldOffset(8)] public ulong DataOffset;
}

/// <summary>KVM_EXIT_MMIO payload.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public unsafe struct KvmRunMmio
{
    public const int DataOffsetInRun = KvmRun.ExitUnionOffset + 8;

    [FieldOffset(0)] public ulong PhysAddr;
    [FieldOffset(8)] public fixed byte Data[8];
    [FieldOffset(16)] public uint Len;
    [FieldOffset(20)] public byte IsWrite;
}

/// <summary>KVM_EXIT_INTERNAL_ERROR payload.</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
public unsafe struct KvmRunInternal
{
    [FieldOffset(0)] public uint Suberror;
    [FieldOffset(4)] public uint NData;
    [FieldOffset(8)] public fixed ulong Data[16];
}

/// <summary>KVM_EXIT_SYSTEM_EVENT payload.</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
public unsafe struct KvmRunSystemEvent
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint NData;
    [FieldOffset(8)] public fixed ulong Data[16];
}
