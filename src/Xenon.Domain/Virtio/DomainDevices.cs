using Xenon.Devices.Pci;
using System.Net.NetworkInformation;
using Xenon.Devices.Virtio.Balloon;
using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Console;
using Xenon.Devices.Virtio.Rng;
using Xenon.Kvm;
using Xenon.Devices.Virtio.Pci;
using Xenon.Devices.Virtio.Net;
using Xenon.Machine;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Virtio;

/// <summary>The domain's paravirtual devices (virtio over PCI) and their host resources: built from the spec,
/// attached to the PCI bus, their BARs placed as firmware would, torn down with the domain.</summary>
public sealed class DomainDevices : IDisposable
{
    private readonly List<VirtioDeviceHost> _hosts = [];

    private DomainDevices()
    {
    }

    /// <summary>The virtio-blk devices, in the spec's disk order.</summary>
    public IReadOnlyList<VirtioBlock> Disks => _disks;

    private readonly List<VirtioBlock> _disks = [];

    private const ulong PagesPerMiB = X86Layout.MiB / 4096;

    /// <summary>The memory balloon (virtio-balloon, 4 KiB pages).</summary>
    public VirtioBalloon? Balloon { get; private set; }

    /// <summary>Asks the guest to hold <paramref name="targetMiB"/> of its RAM: the balloon takes the rest and the host
    /// gets those pages back. Null on success, else why not.</summary>
    public string? SetMemoryTarget(ulong targetMiB, ulong ramMiB)
    {
        if (Balloon is null) return "the domain has no balloon";
        if (targetMiB > ramMiB) return $"{targetMiB} MiB is more than the domain's maximum memory ({ramMiB} MiB)";
        if (targetMiB < MinimumTargetMiB) return $"{targetMiB} MiB is below the {MinimumTargetMiB} MiB a guest needs";
        Balloon.SetTarget((ramMiB - targetMiB) * PagesPerMiB);
        return null;
    }

    /// <summary>Below this a Linux guest's OOM killer takes over before the balloon can inflate further.</summary>
    public const ulong MinimumTargetMiB = 32;

    /// <summary>The virtio-net devices, in DEVID order.</summary>
    public IReadOnlyList<VirtioNet> Nics => _nics;

    /// <summary>Transmit-completion interrupt moderation of every vif (VirtioNet.TransmitCoalesceNanoseconds).
    /// XENON_NET_TX_COALESCE_US overrides it (for measuring).</summary>
    private static long TransmitCoalesceNanoseconds =>
        long.TryParse(Environment.GetEnvironmentVariable("XENON_NET_TX_COALESCE_US"), out long us) && us >= 0 ? us * 1000 : DefaultTransmitCoalesceNanoseconds;

    // Off: the measurements so far (loaded build host) do not show a setting that wins reliably
    // (docs/virtio-net.md, "Transmit-completion interrupt moderation").
    private const long DefaultTransmitCoalesceNanoseconds = 0;

    /// <summary>Whether the window also holds the completions (VirtioNet.TransmitCoalesceHoldsCompletions);
    /// XENON_NET_TX_COALESCE_HOLD=0/1 overrides it (for measuring).</summary>
    private static bool TransmitCoalesceHoldsCompletions =>
        Environment.GetEnvironmentVariable("XENON_NET_TX_COALESCE_HOLD") is { } hold ? hold == "1" : DefaultTransmitCoalesceHoldsCompletions;

    private const bool DefaultTransmitCoalesceHoldsCompletions = false;

    /// <summary>QEMU's tx=timer for every vif (VirtioNet.TransmitPollNanoseconds); XENON_NET_TX_POLL_US overrides it (for measuring).</summary>
    private static long TransmitPollNanoseconds =>
        long.TryParse(Environment.GetEnvironmentVariable("XENON_NET_TX_POLL_US"), out long us) && us >= 0 ? us * 1000 : 0;

    /// <summary>Whether every vif completes a transmit chain before sending its copy (VirtioNet.TransmitCompletesEarly);
    /// XENON_NET_TX_EARLY=0/1 overrides it (for measuring).</summary>
    private static bool TransmitCompletesEarly =>
        Environment.GetEnvironmentVariable("XENON_NET_TX_EARLY") is { } early ? early == "1" : DefaultTransmitCompletesEarly;

    private const bool DefaultTransmitCompletesEarly = false;

    private readonly List<VirtioNet> _nics = [];

    /// <summary>Puts the devices on <paramref name="pci"/> (taking over the <paramref name="backends"/>) and places every BAR.
    /// Disks first, in the order of the spec, so xvda is the guest's vda; then the vifs. Their interrupts go through the
    /// machine's backend (<c>vm.Backend.Msi</c>), whichever CPU backend that is.</summary>
    public static DomainDevices Attach(DomainSpec spec, VirtualMachine vm, PciRoot pci, DeviceBackends backends, Action<string> log)
    {
        var devices = new DomainDevices();
        try
        {
            var msi = new MsiControllerSink(vm.Backend.Msi);
            for (int i = 0; i < spec.Disks.Count; i++)
            {
                var disk = spec.Disks[i];
                var backend = backends.Take(backends.Disks, i);
                VirtioBlock blk;
                try
                {
                    blk = new VirtioBlock(vm.Memory, backend, disk.Vdev);
                }
                catch
                {
                    backend.Dispose();
                    throw;
                }
                devices._hosts.Add(new VirtioDeviceHost($"virtio-blk-{disk.Vdev}", blk, vm.Memory, vm.Backend, pci, msi, log, backend));
                devices._disks.Add(blk);
            }
            for (int i = 0; i < spec.Vifs.Count; i++)
            {
                var vif = spec.Vifs[i];
                var attachment = backends.Take(backends.Vifs, i);
                var tapBackend = new TapNetBackend(attachment.Tap, ownsTap: false);
                VirtioNet nic;
                try
                {
                    nic = new VirtioNet(vm.Memory, tapBackend, PhysicalAddress.Parse(vif.Mac), (ushort)attachment.Mtu);
                }
                catch
                {
                    tapBackend.Dispose();
                    attachment.Dispose();
                    throw;
                }
                var host = new VirtioDeviceHost($"virtio-net-{vif.IfName}", nic, vm.Memory, vm.Backend, pci, msi, log, nic, tapBackend, attachment);
                devices._hosts.Add(host);
                nic.TransmitCoalesceNanoseconds = TransmitCoalesceNanoseconds;
                nic.TransmitCoalesceHoldsCompletions = TransmitCoalesceHoldsCompletions;
                nic.TransmitPollNanoseconds = TransmitPollNanoseconds;
                nic.TransmitCompletesEarly = TransmitCompletesEarly;
                nic.AttachTo(host.Loop);
                devices._nics.Add(nic);
            }
            if (spec.Channels.Count > 0) devices.Console = AttachConsole(devices, spec, vm, pci, msi, backends, log);
            if (spec.Rng)
            {
                var rng = new VirtioRng(vm.Memory);
                devices._hosts.Add(new VirtioDeviceHost("virtio-rng", rng, vm.Memory, vm.Backend, pci, msi, log, rng));
                devices.Rng = rng;
            }
            // Every domain has a balloon, as every Xen guest has its balloon driver: memory= below maxmem= starts it
            // inflated, and mem-set moves it.
            VirtioPciDevice? balloonTransport = null;
            var balloon = new VirtioBalloon(vm.Memory, () => balloonTransport?.NotifyConfigChanged());
            var balloonHost = new VirtioDeviceHost("virtio-balloon", balloon, vm.Memory, vm.Backend, pci, msi, log);
            devices._hosts.Add(balloonHost);
            balloonTransport = balloonHost.Device;
            devices.Balloon = balloon;
            ulong ramMiB = vm.Memory.RamSize / X86Layout.MiB;
            if (spec.MemoryMiB < ramMiB) balloon.SetTarget((ramMiB - spec.MemoryMiB) * PagesPerMiB);

            new PciBarAllocator(pci.Windows).AssignAll(pci);
            return devices;
        }
        catch
        {
            devices.Dispose();
            throw;
        }
    }

    /// <summary>One virtio-console whose ports are the spec's channels, in order (port 0 is the first channel).
    /// Backends wake the device's I/O thread through an eventfd, so their input reaches the guest on that thread.</summary>
    private static VirtioConsole AttachConsole(DomainDevices devices, DomainSpec spec, VirtualMachine vm, PciRoot pci,
        MsiControllerSink msi, DeviceBackends backends, Action<string> log)
    {
        var owned = new List<IDisposable>();
        var wake = EventFd.Create(nonBlocking: true);
        owned.Add(wake);
        var ports = new ConsolePortSpec[spec.Channels.Count];
        for (int i = 0; i < ports.Length; i++)
        {
            var backend = backends.Take(backends.Channels, i);
            owned.Add(backend);
            ports[i] = new ConsolePortSpec(backend, spec.Channels[i].Name);
        }
        VirtioConsole console;
        VirtioDeviceHost host;
        try
        {
            console = new VirtioConsole(vm.Memory, ports, () => wake.Signal());
            // The host disposes these after its loop has stopped: the backends, then the wake eventfd.
            owned.Reverse();
            host = new VirtioDeviceHost("virtio-console", console, vm.Memory, vm.Backend, pci, msi, log, [.. owned]);
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
        devices._hosts.Add(host);
        host.Loop.Register(wake, _ => console.ServicePending());
        return console;
    }

    /// <summary>The channels' virtio-console, if the domain has channels.</summary>
    public VirtioConsole? Console { get; private set; }

    /// <summary>The entropy device, unless the config turned it off (rng = 0).</summary>
    public VirtioRng? Rng { get; private set; }

    /// <summary>One line per device that needs attention or moves packets: a function the guest must reset (and why),
    /// each disk's and NIC's counters. Logged when a domain ends, for the post-mortem.</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var host in _hosts)
            if (host.Device.NeedsResetReason is { } why) yield return $"{host.Device.Name}: needs reset: {why}";
        for (int i = 0; i < _disks.Count; i++) yield return $"vbd {i}: {_disks[i].Counters.Describe()}";
        for (int i = 0; i < _nics.Count; i++)
        {
            var c = _nics[i].Counters;
            yield return $"vif {i}: rx {c.RxPackets} packets ({c.RxDropped} dropped, {c.RxErrors} errors), tx {c.TxPackets} packets ({c.TxDropped} dropped, {c.TxErrors} errors)";
            foreach (var line in _nics[i].Stats.Describe()) yield return $"vif {i} {line}";
        }
    }

    /// <summary>How long a device's I/O thread may take to finish the callback it is in when the domain is saved.</summary>
    public static readonly TimeSpan QuiesceTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Readies the host side of every device for a saved state about to be applied (a migration's receiver or
    /// a prepared restore, before the state is known): each NIC's tap gets the offloads a Linux driver negotiates
    /// (<see cref="VirtioNet.PrepareForRestore"/>), so that the activation inside the downtime makes no TUNSETOFFLOAD.
    /// XENON_NET_PREPARE=0 leaves it to the activation (for measuring).</summary>
    public void PrepareForRestore()
    {
        if (Environment.GetEnvironmentVariable("XENON_NET_PREPARE") == "0") return;
        for (int i = 0; i < _nics.Count; i++) _nics[i].PrepareForRestore();
    }

    /// <summary>Parks every device's I/O thread (see <see cref="VirtioDeviceHost.QuiesceIo"/>), so that device state and
    /// guest memory stand still for a save. On failure the threads parked so far run on and the exception propagates.</summary>
    /// <remarks>Every thread is asked first and then waited for, so that the wake-ups (a save's or a migration's
    /// downtime pays each) overlap instead of adding up: one after another they took 0.3–4.2 ms of a soft-CPU
    /// migration's window (docs/benchmarks.md "m9"). XENON_QUIESCE_SERIAL=1 quiesces one after another (for measuring).</remarks>
    public void QuiesceIo()
    {
        if (SerialQuiesce)
        {
            QuiesceSerially();
            return;
        }
        foreach (var host in _hosts) host.BeginQuiesce();
        int parked = 0;
        try
        {
            for (; parked < _hosts.Count; parked++) _hosts[parked].CompleteQuiesce(QuiesceTimeout);
        }
        catch
        {
            // The failed one let its thread go itself; those before it are quiesced, those after it only asked.
            for (int i = 0; i < parked; i++) _hosts[i].ResumeIo();
            for (int i = parked + 1; i < _hosts.Count; i++) _hosts[i].AbandonQuiesce();
            throw;
        }
    }

    private static readonly bool SerialQuiesce = Environment.GetEnvironmentVariable("XENON_QUIESCE_SERIAL") == "1";

    private void QuiesceSerially()
    {
        int parked = 0;
        try
        {
            for (; parked < _hosts.Count; parked++) _hosts[parked].QuiesceIo(QuiesceTimeout);
        }
        catch
        {
            for (int i = 0; i < parked; i++) _hosts[i].ResumeIo();
            throw;
        }
    }

    /// <summary>Lets every device's I/O thread run on after <see cref="QuiesceIo"/>.</summary>
    public void ResumeIo()
    {
        foreach (var host in _hosts) host.ResumeIo();
    }

    public void Dispose()
    {
        foreach (var host in _hosts) host.Dispose();
        _hosts.Clear();
    }
}
