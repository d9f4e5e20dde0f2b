using Xenon.Kvm;

namespace Xenon.Machine.IoEvents;

/// <summary>One descriptor watched by an <see cref="IoEventLoop"/>: an eventfd (<see cref="IoEventLoop.Register"/>)
/// or any readable fd (<see cref="IoEventLoop.RegisterReadable"/>). Dispose to unregister.</summary>
public sealed class IoEventRegistration : IDisposable
{
    private readonly EventFd? _eventFd;

    internal IoEventRegistration(IoEventLoop loop, EventFd eventFd, Action<ulong> callback, int slot, uint generation)
        : this(loop, eventFd.Handle, slot, generation)
    {
        _eventFd = eventFd;
        Callback = callback;
    }

    internal IoEventRegistration(IoEventLoop loop, FileDescriptor handle, Action readableCallback, int slot, uint generation)
        : this(loop, handle, slot, generation)
    {
        ReadableCallback = readableCallback;
    }

    private IoEventRegistration(IoEventLoop loop, FileDescriptor handle, int slot, uint generation)
    {
        Loop = loop;
        Handle = handle;
        Slot = slot;
        Token = (ulong)generation << 32 | (uint)slot;
    }

    public IoEventLoop Loop { get; }

    /// <summary>The eventfd of an eventfd registration; a readable-fd registration has none and throws.</summary>
    public EventFd EventFd => _eventFd ?? throw new InvalidOperationException("a readable-fd registration has no eventfd");

    /// <summary>The watched descriptor (the eventfd's, or the readable fd).</summary>
    public FileDescriptor Handle { get; }

    /// <summary>False while paused (see <see cref="Pause"/>).</summary>
    public bool IsWatching => Loop.IsWatching(this);

    internal Action<ulong>? Callback { get; }

    internal Action? ReadableCallback { get; }

    internal EventFd? EventFdOrNull => _eventFd;

    /// <summary>Guarded by the loop's lock: false while the fd is out of the epoll set.</summary>
    internal bool Watching { get; set; } = true;

    internal int Slot { get; }

    /// <summary>The epoll token: slot in the low half, generation in the high half.</summary>
    internal ulong Token { get; }

    /// <summary>Stops watching the fd but keeps the registration (see <see cref="IoEventLoop.Pause"/>).</summary>
    public void Pause() => Loop.Pause(this);

    public void Resume() => Loop.Resume(this);

    public void Dispose() => Loop.Unregister(this);
}
