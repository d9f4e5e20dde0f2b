using Xenon.Devices.State;
using Xenon.Devices.Virtio.Pci;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// The devices' completion split around the guest's run. A virtio-pci function's completion is only a kick of each
/// ready queue (<see cref="VirtioPciDevice.RestoreCompleted"/>: serve what the driver queued before the save), which
/// the guest does not need before it runs: a kick served a little later is a doorbell that came late, which a device
/// must cope with anyway. Served inside the window, the kicks woke every device's I/O thread, which took the CPU from
/// the restoring thread on a loaded 2-core host (1–8 ms, docs/benchmarks.md, "m9"), and a cold restore's balloon read
/// its page-number arrays from the file there (+5 ms). Every other
/// device (the PCI root's BAR moves among them) completes before the guest runs, as before.
/// </summary>
internal sealed class QueueKicksAfterRun
{
    /// <summary>XENON_RESTORE_KICK_FIRST=1: every completion inside the window, as before (for measuring).</summary>
    private static readonly bool KickFirst = Environment.GetEnvironmentVariable("XENON_RESTORE_KICK_FIRST") == "1";

    private readonly List<IStatefulDevice> _later = [];
    private readonly bool _defer;

    /// <param name="defer">False: every device completes at once (the knob's old order).</param>
    public QueueKicksAfterRun(bool? defer = null) => _defer = defer ?? !KickFirst;

    /// <summary>Completes <paramref name="device"/> now, or keeps it for <see cref="Kick"/>; true if kept.</summary>
    public bool CompleteOrKeep(IStatefulDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_defer && device is VirtioPciDevice)
        {
            _later.Add(device);
            return true;
        }
        device.RestoreCompleted();
        return false;
    }

    /// <summary>How many devices wait for <see cref="Kick"/>.</summary>
    public int Count => _later.Count;

    /// <summary>Completes the kept devices (once; the guest runs, or stays paused by request).</summary>
    public void Kick()
    {
        foreach (var device in _later) device.RestoreCompleted();
        _later.Clear();
    }
}
