using Xenon.Devices.Pci;
using Xenon.Devices.Virtio.Block;
using Xenon.Machine;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Interrupts;

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

    /// <summary>Opens every disk image of <paramref name="spec"/> before any VM exists, so a missing or locked image
    /// fails the build early with its path; the caller owns the result until it is handed to <see cref="Attach"/>.</summary>
    public static RawFileBackend[] OpenDisks(DomainSpec spec)
    {
        var opened = new RawFileBackend[spec.Disks.Count];
        try
        {
            for (int i = 0; i < opened.Length; i++)
            {
                var disk = spec.Disks[i];
                try
                {
                    opened[i] = RawFileBackend.Open(disk.Path, disk.ReadOnly);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new DomainBuildException($"disk {disk.Vdev}: cannot open {disk.Path}{(disk.ReadOnly ? " read-only" : " read-write")}: {e.Message}");
                }
            }
            return opened;
        }
        catch
        {
            foreach (var b in opened) b?.Dispose();
            throw;
        }
    }

    /// <summary>Puts the devices on <paramref name="pci"/> (taking ownership of <paramref name="disks"/>) and places every BAR.</summary>
    public static DomainDevices Attach(DomainSpec spec, VirtualMachine vm, KvmVmBackend kvm, PciRoot pci, RawFileBackend[] disks, Action<string> log)
    {
        var devices = new DomainDevices();
        int handedOver = 0;
        try
        {
            var msi = new MsiControllerSink(new KvmMsiController(kvm.Vm));
            for (; handedOver < disks.Length; handedOver++)
            {
                var disk = spec.Disks[handedOver];
                var backend = disks[handedOver];
                var blk = new VirtioBlock(vm.Memory, backend, disk.Vdev);
                devices._hosts.Add(new VirtioDeviceHost($"virtio-blk-{disk.Vdev}", blk, vm.Memory, kvm.Vm, pci, msi, log, backend));
                devices._disks.Add(blk);
            }
            new PciBarAllocator(pci.Windows).AssignAll(pci);
            return devices;
        }
        catch
        {
            for (int i = handedOver; i < disks.Length; i++) disks[i].Dispose();
            devices.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var host in _hosts) host.Dispose();
        _hosts.Clear();
    }
}
