using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct kvm_xsave</c>: the XSAVE image (standard, non-compacted format) of a vCPU. Its fixed part is
/// 4 KiB; with KVM_CAP_XSAVE2 the image may be longer (the size KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) reports on the
/// VM), so callers pass byte buffers of that size and this type only names the ioctls' declared argument.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4096)]
public unsafe struct KvmXsave
{
    public const int LegacySize = 4096;

    [FieldOffset(0)] public fixed uint Region[1024];
}
