using Xenon.Kvm;

namespace Xenon.Machine.Backend;

/// <summary>
/// An optional capability of an <see cref="IVmBackend"/>: a guest write to a registered address signals an eventfd
/// without leaving the backend (KVM's ioeventfd), so a device thread is woken without a vCPU exit. A backend without
/// it delivers such writes as ordinary MMIO or port accesses to the exit handler, which must then signal the same
/// eventfd itself: callers use this only as a shortcut, never as the only path.
/// </summary>
public interface IIoEventFdSupport
{
    /// <summary>Wires writes of <paramref name="length"/> bytes (0 = any width) to <paramref name="address"/> to
    /// <paramref name="eventFd"/>; with <paramref name="datamatch"/>, only writes of that value. Throws
    /// <see cref="KvmException"/> when the backend refuses (the caller falls back to exits).</summary>
    void RegisterIoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch = null);

    /// <summary>Undoes <see cref="RegisterIoEventFd"/> with the same arguments. Throws <see cref="KvmException"/>.</summary>
    void UnregisterIoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch = null);
}
