using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;
using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Pci;
using Xenon.Kvm;
using Xenon.Machine.Backend;
using Xenon.Machine.IoEvents;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Virtio;

/// <summary>
/// One virtio device on the domain's PCI bus with its own I/O thread: each queue's doorbell signals an eventfd served
/// by an <see cref="IoEventLoop"/>, so guest kicks never run device code on a vCPU thread. Where the backend offers
/// ioeventfds (<see cref="IIoEventFdSupport"/>: KVM) the doorbell is bound at the notify address inside the register
/// BAR (moved with the BAR when the guest reprograms it) and a kick costs no exit; elsewhere (the soft CPU) the kick is
/// an MMIO write whose handler signals the same eventfd. Completions go out as MSI-X messages from that thread.
/// </summary>
internal sealed class VirtioDeviceHost : IDisposable
{
    /// <summary>Linux's virtio-pci driver rings a doorbell with a 16-bit write of the queue index.</summary>
    private const uint DoorbellWidth = 2;

    private readonly IIoEventFdSupport? _ioEventFds;
    private readonly PciRoot _pci;
    private readonly Action<string> _log;
    private readonly IDisposable[] _owned;
    private readonly IoEventLoop _loop;
    private readonly EventFd[] _kicks;
    private readonly IoEventRegistration[] _registrations;
    private ulong? _doorbellBase;
    private int _disposed;

    // Quiescing: a callback of our own on the device's loop that parks the loop thread. Callbacks run one at a time,
    // so while it is parked no device code runs and none touches guest memory or rings.
    private readonly IVirtioDevice _model;
    private readonly EventFd? _quiesce;
    private readonly ManualResetEventSlim _quiesced = new(false);
    private readonly ManualResetEventSlim _released = new(true);
    private volatile bool _stopAfterQuiesce;

    public VirtioDeviceHost(string name, IVirtioDevice device, GuestMemory memory, IVmBackend backend, PciRoot pci, IMsiSink msi,
        Action<string> log, params IDisposable[] owned)
    {
        _ioEventFds = backend as IIoEventFdSupport;
        _pci = pci;
        _log = log;
        _owned = owned;
        _model = device;
        Device = new VirtioPciDevice(name, device, memory, msi);
        _loop = new IoEventLoop($"xenon-{name}", e => log($"{name}: device I/O failed: {e}"));
        int queues = device.QueueMaxSizes.Count;
        _kicks = new EventFd[queues];
        _registrations = new IoEventRegistration[queues];
        try
        {
            _quiesce = EventFd.Create(nonBlocking: true);
            _loop.Register(_quiesce, _ => ParkLoopThread());
            for (int q = 0; q < queues; q++)
            {
                int queue = q;
                _kicks[q] = EventFd.Create(nonBlocking: true);
                _registrations[q] = _loop.Register(_kicks[q], _ => Device.NotifyQueue(queue));
            }
            Device.SetDoorbell(queue =>
            {
                if ((uint)queue < (uint)_kicks.Length) _kicks[queue].Signal();
            });
            _pci.BarMoved += OnBarMoved;
            Address = _pci.Attach(Device);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public VirtioPciDevice Device { get; }

    public PciAddress Address { get; }

    /// <summary>The I/O thread, for devices that also watch host file descriptors (a TAP, a socket).
    /// Valid from construction; a device attached to it must be among the owned disposables.</summary>
    public IoEventLoop Loop => _loop;

    /// <summary>Stops the device's I/O thread between two callbacks and returns once it is parked: from then on until
    /// <see cref="ResumeIo"/> the device neither serves kicks nor reads its backend, so its state and the guest memory
    /// it writes stand still. Throws <see cref="TimeoutException"/> (and leaves the thread running) if a callback does
    /// not finish within <paramref name="timeout"/>.</summary>
    public void QuiesceIo(TimeSpan timeout)
    {
        BeginQuiesce();
        CompleteQuiesce(timeout);
    }

    /// <summary>The first half of <see cref="QuiesceIo"/>: asks the I/O thread to park and returns at once, so that a
    /// domain's devices all wake to park together rather than one after another. Follow with
    /// <see cref="CompleteQuiesce"/>, or <see cref="AbandonQuiesce"/> if the quiesce is given up.</summary>
    public void BeginQuiesce()
    {
        _released.Reset();
        _quiesced.Reset();
        _quiesce!.Signal();
    }

    /// <summary>The second half of <see cref="QuiesceIo"/>: waits until the I/O thread parked, then quiesces the model's
    /// own off-loop work. On a timeout or a model's failure the thread is let go and the exception propagates.</summary>
    public void CompleteQuiesce(TimeSpan timeout)
    {
        if (!_quiesced.Wait(timeout))
        {
            _released.Set();
            throw new TimeoutException($"{Device.Name}: its I/O thread did not settle within {timeout.TotalMilliseconds:0} ms");
        }
        // A model may also work off the loop (timers, backend completions): it holds that work itself.
        try
        {
            (_model as IQuiescable)?.Quiesce();
        }
        catch
        {
            _released.Set();
            throw;
        }
    }

    /// <summary>Gives up a quiesce begun but not completed: the I/O thread runs on (the model was never quiesced).</summary>
    public void AbandonQuiesce() => _released.Set();

    /// <summary>Lets a quiesced device and its I/O thread run on. Harmless if it is not quiesced.</summary>
    public void ResumeIo()
    {
        try
        {
            (_model as IQuiescable)?.Resume();
        }
        finally
        {
            _released.Set();
        }
    }

    private void ParkLoopThread()
    {
        _quiesced.Set();
        _released.Wait();
        // Disposing a quiesced host: stop here, so that no kick queued meanwhile is served after the state was taken.
        if (_stopAfterQuiesce) _loop.Stop();
    }

    private void OnBarMoved(IPciDevice device, int bar, ulong? address)
    {
        if (!ReferenceEquals(device, Device) || bar != VirtioPciLayout.RegisterBar) return;
        UnbindDoorbells();
        if (address is { } a) BindDoorbells(a);
    }

    private void BindDoorbells(ulong barAddress)
    {
        if (_ioEventFds is null) return;
        int bound = 0;
        try
        {
            for (; bound < _kicks.Length; bound++)
                _ioEventFds.RegisterIoEventFd(_kicks[bound], barAddress + Device.NotifyAddress(bound), DoorbellWidth, pio: false);
            _doorbellBase = barAddress;
        }
        catch (KvmException e)
        {
            // Doorbells still work as plain MMIO exits (the notify area signals the same eventfds), only slower.
            _log($"{Device.Name}: cannot bind queue doorbells at 0x{barAddress:x} to ioeventfds ({e.Message}); using MMIO exits");
            for (int q = 0; q < bound; q++)
            {
                try { _ioEventFds.UnregisterIoEventFd(_kicks[q], barAddress + Device.NotifyAddress(q), DoorbellWidth, pio: false); }
                catch (KvmException) { /* the binding goes away with the eventfd at dispose */ }
            }
        }
    }

    private void UnbindDoorbells()
    {
        if (_doorbellBase is not { } old || _ioEventFds is null) return;
        _doorbellBase = null;
        for (int q = 0; q < _kicks.Length; q++)
        {
            try
            {
                _ioEventFds.UnregisterIoEventFd(_kicks[q], old + Device.NotifyAddress(q), DoorbellWidth, pio: false);
            }
            catch (KvmException e)
            {
                _log($"{Device.Name}: cannot unbind queue {q}'s doorbell: {e.Message}");
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _pci.BarMoved -= OnBarMoved;
        UnbindDoorbells();
        _stopAfterQuiesce = true;
        _released.Set();
        _loop.Dispose();
        foreach (var kick in _kicks) kick?.Dispose();
        _quiesce?.Dispose();
        // In the order given: a device that watches host fds detaches before its backend closes them.
        foreach (var o in _owned) o.Dispose();
    }
}
