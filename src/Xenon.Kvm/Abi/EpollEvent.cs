using System.Runtime.InteropServices;

namespace Xenon.Kvm.Abi;

/// <summary><c>struct epoll_event</c>. On x86-64 the kernel declares it packed: the 64-bit
/// <see cref="Data"/> sits at offset 4 and the struct is 12 bytes, not 16.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
public struct EpollEvent
{
    [FieldOffset(0)] public EpollEvents Events;
    [FieldOffset(4)] public ulong Data;
}

/// <summary>Bits of <see cref="EpollEvent.Events"/> (EPOLL*).</summary>
[Flags]
public enum EpollEvents : uint
{
    None = 0,
    In = 0x001,
    Out = 0x004,
    Err = 0x008,
    Hup = 0x010,
}
