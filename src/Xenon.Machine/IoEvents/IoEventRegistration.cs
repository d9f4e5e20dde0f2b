using Xenon.Kvm;

namespace Xenon.Machine.IoEvents;

/// <summary>One eventfd watched by an <see cref="IoEventLoop"/>. Dispose to unregister.</summary>
public sealed class IoEventRegistration : IDisposable
{
    internal IoEventRegistration(IoEventLoop loop, EventFd eventFd, Action<ulong> callback, int slot, uint generation)
    {
        Loop = loop;
        EventFd = eventFd;
        Callback = callback;
        Slot = slot;
        Token = (ulong)generation << 32 | (uint)slot;
    }

    public IoEventLoop Loop { get; }

    public EventFd EventFd { get; }

    internal Action<ulong> Callback { get; }

    internal int Slot { get; }

    /// <summary>The epoll token: slot in the low half, generation in the high half.</summary>
    internal ulong Token { get; }

    public void Dispose() => Loop.Unregister(this);
}
