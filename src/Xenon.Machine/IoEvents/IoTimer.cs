using Xenon.Kvm;

namespace Xenon.Machine.IoEvents;

/// <summary>A one-shot timer whose expiry runs a callback on an <see cref="IoEventLoop"/>'s thread, like the
/// loop's other callbacks (one at a time, never concurrently with them). A device uses it to defer work by
/// microseconds, e.g. to coalesce interrupts, without a thread of its own. Arm/Cancel from any thread.</summary>
public sealed class IoTimer : IDisposable
{
    private readonly TimerFd _timer;
    private readonly IoEventRegistration _registration;
    private readonly Action _callback;

    public IoTimer(IoEventLoop loop, Action callback)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(callback);
        _callback = callback;
        _timer = TimerFd.Create();
        try
        {
            _registration = loop.RegisterReadable(_timer.Handle, OnReadable);
        }
        catch
        {
            _timer.Dispose();
            throw;
        }
    }

    /// <summary>Runs the callback once, <paramref name="nanoseconds"/> from now; replaces an earlier pending expiry.</summary>
    public void Arm(long nanoseconds) => _timer.Arm(nanoseconds);

    /// <summary>Cancels a pending expiry. An expiry the loop has already seen may still run its callback.</summary>
    public void Cancel() => _timer.Disarm();

    private void OnReadable()
    {
        // Level-triggered: the expiry must be consumed or the loop calls back at once.
        if (_timer.TryRead(out _)) _callback();
    }

    /// <summary>Unregisters (waiting for a running callback when called off the loop thread) and closes the timer.</summary>
    public void Dispose()
    {
        _registration.Dispose();
        _timer.Dispose();
    }
}
