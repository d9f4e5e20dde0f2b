using System.Runtime.InteropServices;

namespace Xenon.Kvm.Net;

/// <summary><c>struct iovec</c>: one piece of a gather write. The memory must stay mapped until the write
/// returns; callers build these from guest RAM translated by GuestMemory, or from pinned buffers.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public readonly struct IoVector
{
    [FieldOffset(0)] public readonly nint Base;
    [FieldOffset(8)] public readonly nuint Length;

    public IoVector(nint address, nuint length)
    {
        Base = address;
        Length = length;
    }
}
