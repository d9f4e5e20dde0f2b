using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_fpu</c> (x86, fxsave-like).</summary>
[StructLayout(LayoutKind.Explicit, Size = 416)]
public unsafe struct KvmFpu
{
    [FieldOffset(0)] public fixed byte Fpr[128];
    [FieldOffset(128)] public ushort Fcw;
    [FieldOffset(130)] public ushort Fsw;
    [FieldOffset(132)] public byte Ftwx;
    [FieldOffset(133)] public byte Pad1;
    [FieldOffset(134)] public ushort LastOpcode;
    [FieldOffset(136)] public ulong LastIp;
    [FieldOffset(144)] public ulong LastDp;
    [FieldOffset(152)] public fixed byte Xmm[256];
    [FieldOffset(408)] public uint Mxcsr;
    [FieldOffset(412)] public uint Pad2;
}
