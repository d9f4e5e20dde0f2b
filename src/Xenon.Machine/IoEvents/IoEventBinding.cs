using Xenon.Kvm;
using Xenon.Machine.Backend;

namespace Xenon.Machine.IoEvents;

/// <summary>A guest MMIO doorbell wired straight to a device callback: a guest write of <see cref="Length"/> bytes
/// to <see cref="Address"/> signals an eventfd inside the backend (KVM: no exit to user space), and the
/// <see cref="IoEventLoop"/> runs the callback. Used for virtio queue-notify registers. Dispose to unwire.</summary>
public sealed class IoEventBinding : IDisposable
{
    private readonly IIoEventFdSupport _backend;
    private readonly IoEventRegistration _registration;
    private readonly ulong? _datamatch;
    private int _disposed;

    private IoEventBinding(IIoEventFdSupport backend, EventFd eventFd, IoEventRegistration registration, ulong address, uint length, ulong? datamatch)
    {
        _backend = backend;
        EventFd = eventFd;
        _registration = registration;
        Address = address;
        Length = length;
        _datamatch = datamatch;
    }

    public ulong Address { get; }

    /// <summary>Write width that triggers (1, 2, 4 or 8; 0 means any width where KVM supports it).</summary>
    public uint Length { get; }

    public EventFd EventFd { get; }

    /// <param name="callback">Runs on the loop thread with the number of writes since the last call (coalesced).</param>
    /// <param name="datamatch">If set, only writes of this value trigger (e.g. one queue index of a shared notify register).</param>
    public static IoEventBinding Create(IIoEventFdSupport backend, IoEventLoop loop, ulong address, uint length, Action<ulong> callback, ulong? datamatch = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(loop);
        if (length is not (0 or 1 or 2 or 4 or 8)) throw new ArgumentOutOfRangeException(nameof(length), length, "must be 0, 1, 2, 4 or 8");
        var eventFd = EventFd.Create(nonBlocking: true);
        IoEventRegistration? registration = null;
        try
        {
            // The loop watches first so that no doorbell rung between the two steps is lost: it stays counted in the eventfd.
            registration = loop.Register(eventFd, callback);
            backend.RegisterIoEventFd(eventFd, address, length, pio: false, datamatch);
            return new IoEventBinding(backend, eventFd, registration, address, length, datamatch);
        }
        catch
        {
            registration?.Dispose();
            eventFd.Dispose();
            throw;
        }
    }

    /// <summary>Removes the backend's ioeventfd first (so later guest writes exit to user space as plain MMIO again),
    /// then the loop registration, then closes the eventfd.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            _backend.UnregisterIoEventFd(EventFd, Address, Length, pio: false, _datamatch);
        }
        finally
        {
            _registration.Dispose();
            EventFd.Dispose();
        }
    }
}
