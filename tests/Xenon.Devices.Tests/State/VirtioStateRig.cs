using System.Buffers.Binary;
using Xenon.Devices.Pci;
using Xenon.Devices.State;
using Xenon.Devices.Tests.Fakes;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Devices.Tests.Virtio;
using Xenon.Devices.Virtio;
using Xenon.Devices.Virtio.Pci;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.State;

/// <summary>
/// A virtio-pci function on a PCI root with its BARs placed as the domain builder places them, a driver that
/// programs it through MMIO as Linux does, and the domain's <see cref="DeviceStateSet"/> (function, then root).
/// Two rigs built alike are a saving and a restoring domain.
/// </summary>
internal sealed class VirtioStateRig : IDisposable
{
    public const ulong Desc = 0x10000, Avail = 0x11000, Used = 0x12000, Buffers = 0x20000;
    public const ushort QueueSize = 64;

    public VirtioStateRig(IVirtioDevice device)
    {
        Device = device;
        Transport = new VirtioPciDevice("virtio-test", device, Memory, Msi, Irq);
        Address = Pci.Root.Attach(Transport);
        new PciBarAllocator(Pci.Root.Windows).AssignAll(Pci.Root);
        Pci.Cf8Write(Address, PciConfigOffsets.Command, PciCommand.MemorySpace | PciCommand.BusMaster, 2);
        Common = Pci.Root.MappedAddress(Address, VirtioPciLayout.RegisterBar)!.Value + VirtioPciLayout.CommonOffset;
        Driver = new SplitRingDriver(Memory, QueueSize, Desc, Avail, Used);
        States = new DeviceStateSet().Add(Transport).Add(Pci.Root).Add(Pci.Ports);
    }

    public PciRig Pci { get; } = new();
    public GuestMemory Memory { get; } = GuestMemory.Create([(0, 1 << 20)]);
    public FakeMsiSink Msi { get; } = new();
    public FakeIrqLine Irq { get; } = new(11);
    public IVirtioDevice Device { get; }
    public VirtioPciDevice Transport { get; }
    public PciAddress Address { get; }
    public ulong Common { get; }
    public SplitRingDriver Driver { get; }
    public DeviceStateSet States { get; }

    public void Dispose() => Memory.Dispose();

    public ulong ReadCommon(int field, int size)
    {
        Span<byte> b = stackalloc byte[8];
        b.Clear();
        Pci.Mmio.Read(Common + (ulong)field, b[..size]);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    public void WriteCommon(int field, ulong value, int size)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Pci.Mmio.Write(Common + (ulong)field, b[..size]);
    }

    /// <summary>The driver's probe: features, queue 0 on <see cref="Driver"/>'s rings with MSI-X vector 1, DRIVER_OK.</summary>
    public void Start(ulong features)
    {
        WriteCommon(VirtioCommonCfg.DeviceStatus, 0, 1);
        WriteCommon(VirtioCommonCfg.DeviceStatus, VirtioStatusBits.Acknowledge | VirtioStatusBits.Driver, 1);
        WriteCommon(VirtioCommonCfg.DriverFeatureSelect, 0, 4);
        WriteCommon(VirtioCommonCfg.DriverFeature, (uint)features, 4);
        WriteCommon(VirtioCommonCfg.DriverFeatureSelect, 1, 4);
        WriteCommon(VirtioCommonCfg.DriverFeature, features >> 32, 4);
        WriteCommon(VirtioCommonCfg.DeviceStatus, VirtioStatusBits.Acknowledge | VirtioStatusBits.Driver | VirtioStatusBits.FeaturesOk, 1);
        // MSI-X on, vector 1 unmasked.
        int cap = Transport.MsiX.CapabilityOffset;
        Pci.Cf8Write(Address, cap + 2, 0x8000, 2);
        ulong table = Pci.Root.MappedAddress(Address, VirtioPciLayout.MsiXBar)!.Value + VirtioPciLayout.MsiXTableOffset + 16;
        Span<byte> entry = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, 0xfee0_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], 0x41);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], 0);
        Pci.Mmio.Write(table, entry);
        WriteCommon(VirtioCommonCfg.QueueSelect, 0, 2);
        WriteCommon(VirtioCommonCfg.QueueSize, QueueSize, 2);
        WriteCommon(VirtioCommonCfg.QueueDesc, Desc, 8);
        WriteCommon(VirtioCommonCfg.QueueDriver, Avail, 8);
        WriteCommon(VirtioCommonCfg.QueueDevice, Used, 8);
        WriteCommon(VirtioCommonCfg.QueueMsixVector, 1, 2);
        WriteCommon(VirtioCommonCfg.QueueEnable, 1, 2);
        WriteCommon(VirtioCommonCfg.DeviceStatus, VirtioStatusBits.Acknowledge | VirtioStatusBits.Driver | VirtioStatusBits.FeaturesOk | VirtioStatusBits.DriverOk, 1);
        Assert.Equal(VirtioStatusBits.DriverOk, (byte)ReadCommon(VirtioCommonCfg.DeviceStatus, 1) & VirtioStatusBits.DriverOk);
    }

    /// <summary>Offers a chain with one 512-byte device-writable buffer at a distinct address.</summary>
    public ushort Offer(int n)
    {
        ushort head = Driver.AddChain((Buffers + (ulong)n * 0x200, 0x200, true));
        Driver.Offer(head);
        return head;
    }

    /// <summary>Save every device of the set, in order, as the stream writer does.</summary>
    public List<(string Id, byte[] Blob)> SaveAll() => [.. States.Devices.Select(d => (d.StateId, StateBlob.Save(d)))];

    /// <summary>Copy guest RAM as the memory records would.</summary>
    public void CopyMemoryTo(VirtioStateRig target) => Memory.GetSpan(0, 1 << 20).CopyTo(target.Memory.GetSpan(0, 1 << 20));

    public void RestoreAll(List<(string Id, byte[] Blob)> saved)
    {
        var restore = States.BeginRestore();
        foreach (var (id, blob) in saved) restore.Apply(id, blob);
        restore.Complete();
    }
}
