using Xenon.Kvm;
using Xenon.Kvm.Abi;

namespace Xenon.Machine.IoEvents;

/// <summary>One background thread that waits (epoll) on registered eventfds and, when one is signalled, drains
/// its counter and calls that fd's callback with the drained value. Several signals before the loop gets to an
/// fd coalesce into one call. Device I/O threads are built from this: a guest's queue-notify write signals an
/// ioeventfd in the kernel and the device's callback runs here, without a vCPU exit to user space.
/// Any other pollable fd (a tap) can be watched for readability too (<see cref="RegisterReadable"/>), and a
/// registration can be paused and resumed (<see cref="Pause"/>) while its owner cannot take more input.
/// Register/Unregister/Pause/Resume may be called from any thread, including from a callback. Callbacks run one at a time.</summary>
public sealed class IoEventLoop : IDisposable
{
    private const int MaxEventsPerWait = 64;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly Epoll _epoll;
    private readonly EventFd _wake;
    private readonly Action<Exception> _onCallbackError;
    private readonly object _gate = new();
    private readonly EpollEvent[] _ready = new EpollEvent[MaxEventsPerWait];
    private readonly Thread _thread;
    private IoEventRegistration?[] _slots = new IoEventRegistration?[8];
    private IoEventRegistration? _dispatching;
    private volatile bool _stopping;
    private bool _stopped;
    private uint _generation;

    /// <param name="name">The loop thread's name (shown in debuggers and thread dumps).</param>
    /// <param name="onCallbackError">Called on the loop thread when a callback throws; the loop carries on.
    /// Default: the message goes to stderr, since the loop must outlive a failing device.</param>
    public IoEventLoop(string name = "xenon-io", Action<Exception>? onCallbackError = null)
    {
        _onCallbackError = onCallbackError ?? (e => Console.Error.WriteLine($"{name}: I/O event callback failed: {e}"));
        _epoll = Epoll.Create();
        try
        {
            _wake = EventFd.Create(nonBlocking: true);
            _epoll.Add(_wake.Handle, EpollEvents.In, WakeToken);
        }
        catch
        {
            _wake?.Dispose();
            _epoll.Dispose();
            throw;
        }
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True on the loop's own thread (inside a callback).</summary>
    public bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Watches <paramref name="eventFd"/> (which must be non-blocking, and stay open until
    /// <see cref="Unregister"/>) and calls <paramref name="callback"/> on the loop thread with the drained counter.</summary>
    public IoEventRegistration Register(EventFd eventFd, Action<ulong> callback)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        ArgumentNullException.ThrowIfNull(callback);
        return Add((slot, generation) => new IoEventRegistration(this, eventFd, callback, slot, generation));
    }

    /// <summary>Watches any pollable descriptor (a tap, a socket) for readability and calls <paramref name="callback"/>
    /// on the loop thread while it is readable. Level-triggered: the callback must consume what is readable, or
    /// <see cref="Pause"/> the registration, or it is called again at once. An error or hang-up on the fd also
    /// calls it (epoll always reports those), so its next read sees the error. <paramref name="fd"/> must stay
    /// open until <see cref="Unregister"/>; the loop neither reads nor closes it.</summary>
    public IoEventRegistration RegisterReadable(FileDescriptor fd, Action callback)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(callback);
        return Add((slot, generation) => new IoEventRegistration(this, fd, callback, slot, generation));
    }

    private IoEventRegistration Add(Func<int, uint, IoEventRegistration> create)
    {
        IoEventRegistration registration;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            int slot = Array.IndexOf(_slots, null);
            if (slot < 0)
            {
                slot = _slots.Length;
                Array.Resize(ref _slots, _slots.Length * 2);
            }
            // The generation makes a token stale once its slot is reused, so an event that epoll_wait
            // returned just before an Unregister can never reach the slot's next owner.
            registration = create(slot, ++_generation);
            _slots[slot] = registration;
        }
        try
        {
            _epoll.Add(registration.Handle, EpollEvents.In, registration.Token);
        }
        catch
        {
            lock (_gate) _slots[registration.Slot] = null;
            throw;
        }
        return registration;
    }

    /// <summary>Takes the registration's fd out of the epoll set, keeping the registration: nothing on the fd
    /// (data, errors) calls back until <see cref="Resume"/>. A device pauses its backend's fd while it has nowhere
    /// to put what it would read. Does not wait for a callback already running; a dispatch not yet started is
    /// skipped. Pausing a paused or unregistered registration is harmless.</summary>
    public void Pause(IoEventRegistration registration)
    {
        CheckOwned(registration);
        lock (_gate)
        {
            if (_stopped || !registration.Watching || !ReferenceEquals(_slots[registration.Slot], registration)) return;
            _epoll.Remove(registration.Handle);
            registration.Watching = false;
        }
    }

    /// <summary>Puts a paused registration's fd back in the epoll set (level-triggered: if it is readable now, the
    /// callback runs soon). Resuming a watched or unregistered registration is harmless.</summary>
    public void Resume(IoEventRegistration registration)
    {
        CheckOwned(registration);
        lock (_gate)
        {
            if (_stopped || registration.Watching || !ReferenceEquals(_slots[registration.Slot], registration)) return;
            _epoll.Add(registration.Handle, EpollEvents.In, registration.Token);
            registration.Watching = true;
        }
    }

    internal bool IsWatching(IoEventRegistration registration)
    {
        lock (_gate) return registration.Watching && ReferenceEquals(_slots[registration.Slot], registration);
    }

    /// <summary>Stops watching the registration's eventfd. When this returns (off the loop thread), its callback
    /// is not running and will not run again. Unregistering twice is harmless.</summary>
    public void Unregister(IoEventRegistration registration)
    {
        CheckOwned(registration);
        lock (_gate)
        {
            if (!ReferenceEquals(_slots[registration.Slot], registration)) return;
            _slots[registration.Slot] = null;
            if (!_stopped && registration.Watching) _epoll.Remove(registration.Handle);
            if (!IsLoopThread)
                while (ReferenceEquals(_dispatching, registration)) Monitor.Wait(_gate);
        }
    }

    /// <summary>Wakes the loop, waits for its thread to finish the callback in progress and exit. Idempotent.
    /// From inside a callback it only asks the loop to stop after that callback.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped) return;
        }
        _stopping = true;
        _wake.Signal();
        if (!IsLoopThread) _thread.Join();
    }

    /// <summary>Stops the loop and closes its epoll and wake fds. Registered eventfds stay open: they belong to the caller.</summary>
    public void Dispose()
    {
        if (IsLoopThread) throw new InvalidOperationException("an I/O event loop cannot be disposed from its own callback");
        lock (_gate)
        {
            if (_stopped) return;
        }
        Stop();
        lock (_gate)
        {
            _stopped = true;
            Array.Clear(_slots);
        }
        _epoll.Dispose();
        _wake.Dispose();
    }

    private void CheckOwned(IoEventRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (!ReferenceEquals(registration.Loop, this)) throw new ArgumentException("registration belongs to another loop", nameof(registration));
    }

    private void Run()
    {
        while (!_stopping)
        {
            int n = _epoll.Wait(_ready, timeoutMs: -1);
            for (int i = 0; i < n && !_stopping; i++)
            {
                ulong token = _ready[i].Data;
                if (token == WakeToken)
                {
                    _wake.TryRead(out _);
                    continue;
                }
                Dispatch(token);
            }
        }
    }

    private void Dispatch(ulong token)
    {
        IoEventRegistration? registration;
        lock (_gate)
        {
            int slot = (int)(uint)token;
            registration = (uint)slot < (uint)_slots.Length ? _slots[slot] : null;
            if (registration is null || registration.Token != token || !registration.Watching) return;
            _dispatching = registration;
        }
        try
        {
            if (registration.ReadableCallback is { } onReadable) onReadable();
            else if (registration.EventFdOrNull!.TryRead(out ulong count)) registration.Callback!(count);
        }
        catch (Exception e)
        {
            _onCallbackError(e);
        }
        finally
        {
            lock (_gate)
            {
                _dispatching = null;
                Monitor.PulseAll(_gate);
            }
        }
    }
}
