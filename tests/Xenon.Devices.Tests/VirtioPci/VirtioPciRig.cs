using System.Buffers.Binary;
using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Fakes;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Devices.Virtio.Pci;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioPci;

/// <summary>
/// A virtio-pci device on a real PCI root, and a driver half that works as Linux's virtio_pci_modern does:
/// it finds the structures by walking the capability list through 0xcf8/0xcfc, and touches the
/// registers with MMIO at the addresses the BAR allocator chose.
/// </summary>
internal sealed class VirtioPciRig : IDisposable
{
    public VirtioPciRig(FakeVirtioDevice? device = null, bool withIrqLine = true)
    {
        Device = device ?? new FakeVirtioDevice();
        Irq = withIrqLine ? new FakeIrqLine(11) : null;
        Transport = new VirtioPciDevice("virtio-test", Device, Memory, Msi, Irq);
        Address = Pci.Root.Attach(Transport);
        new PciBarAllocator(Pci.Root.Windows).AssignAll(Pci.Root);
        Pci.Cf8Write(Address, PciConfigOffsets.Command, PciCommand.MemorySpace | PciCommand.BusMaster, 2);
        FindCapabilities();
    }

    public PciRig Pci { get; } = new();
    public GuestMemory Memory { get; } = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);
    public FakeMsiSink Msi { get; } = new();
    public FakeIrqLine? Irq { get; }
    public FakeVirtioDevice Device { get; }
    public VirtioPciDevice Transport { get; }
    public PciAddress Address { get; }

    public ulong Common { get; private set; }
    public ulong Isr { get; private set; }
    public ulong DeviceCfg { get; private set; }
    public ulong Notify { get; private set; }
    public uint NotifyOffMultiplier { get; private set; }
    public int PciCfgCap { get; private set; }
    public Dictionary<byte, (int Bar, uint Offset, uint Length, int CapOffset)> Caps { get; } = [];

    public void Dispose() => Memory.Dispose();

    public uint ConfigRead(int reg, int size) => Pci.Cf8Read(Address, reg, size);

    public void ConfigWrite(int reg, uint value, int size) => Pci.Cf8Write(Address, reg, value, size);

    public ulong BarAddress(int bar) =>
        Pci.Root.MappedAddress(Address, bar) ?? throw new InvalidOperationException($"BAR {bar} is not mapped; log: {string.Join("; ", Pci.Log)}");

    private void FindCapabilities()
    {
        Assert.NotEqual(0u, ConfigRead(PciConfigOffsets.Status, 2) & PciStatus.CapabilitiesList);
        int next = (int)ConfigRead(PciConfigOffsets.CapabilitiesPointer, 1);
        for (int guard = 0; next != 0 && guard < 48; guard++)
        {
            if (ConfigRead(next, 1) == PciCapabilityId.VendorSpecific)
            {
                byte type = (byte)ConfigRead(next + 3, 1);
                int bar = (int)ConfigRead(next + 4, 1);
                uint offset = ConfigRead(next + 8, 4);
                uint length = ConfigRead(next + 12, 4);
                Caps.TryAdd(type, (bar, offset, length, next));
                if (type == VirtioPciCapType.NotifyCfg) NotifyOffMultiplier = ConfigRead(next + 16, 4);
                if (type == VirtioPciCapType.PciCfg) PciCfgCap = next;
            }
            next = (int)ConfigRead(next + 1, 1);
        }
        Common = Locate(VirtioPciCapType.CommonCfg);
        Isr = Locate(VirtioPciCapType.IsrCfg);
        DeviceCfg = Locate(VirtioPciCapType.DeviceCfg);
        Notify = Locate(VirtioPciCapType.NotifyCfg);
    }

    private ulong Locate(byte type)
    {
        Assert.True(Caps.TryGetValue(type, out var cap), $"no virtio capability of cfg_type {type}; found [{string.Join(",", Caps.Keys)}]");
        return BarAddress(cap.Bar) + cap.Offset;
    }

    public ulong Read(ulong address, int size)
    {
        Span<byte> b = stackalloc byte[8];
        b.Clear();
        Pci.Mmio.Read(address, b[..size]);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    public void Write(ulong address, ulong value, int size)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Pci.Mmio.Write(address, b[..size]);
    }

    public ulong ReadCommon(int field, int size) => Read(Common + (ulong)field, size);

    public void WriteCommon(int field, ulong value, int size) => Write(Common + (ulong)field, value, size);

    public byte Status => (byte)ReadCommon(VirtioCommonCfg.DeviceStatus, 1);

    public void AddStatus(byte bits) => WriteCommon(VirtioCommonCfg.DeviceStatus, (ulong)(Status | bits), 1);

    public ulong DeviceFeatures()
    {
        WriteCommon(VirtioCommonCfg.DeviceFeatureSelect, 0, 4);
        ulong low = ReadCommon(VirtioCommonCfg.DeviceFeature, 4);
        WriteCommon(VirtioCommonCfg.DeviceFeatureSelect, 1, 4);
        return low | ReadCommon(VirtioCommonCfg.DeviceFeature, 4) << 32;
    }

    public void WriteDriverFeatures(ulong features)
    {
        WriteCommon(VirtioCommonCfg.DriverFeatureSelect, 0, 4);
        WriteCommon(VirtioCommonCfg.DriverFeature, (uint)features, 4);
        WriteCommon(VirtioCommonCfg.DriverFeatureSelect, 1, 4);
        WriteCommon(VirtioCommonCfg.DriverFeature, features >> 32, 4);
    }

    /// <summary>Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK: returns whether the device kept FEATURES_OK.</summary>
    public bool Negotiate(ulong features)
    {
        WriteCommon(VirtioCommonCfg.DeviceStatus, 0, 1);
        Assert.Equal(0, Status);
        AddStatus(VirtioStatusBits.Acknowledge);
        AddStatus(VirtioStatusBits.Driver);
        WriteDriverFeatures(features);
        AddStatus(VirtioStatusBits.FeaturesOk);
        return (Status & VirtioStatusBits.FeaturesOk) != 0;
    }

    /// <summary>Programs queue <paramref name="queue"/> as vp_modern_setup_queue does: 32-bit halves for the addresses.</summary>
    public void SetupQueue(int queue, ushort size, ulong desc, ulong avail, ulong used, ushort vector = VirtioCommonCfg.NoVector, bool enable = true)
    {
        WriteCommon(VirtioCommonCfg.QueueSelect, (ulong)queue, 2);
        WriteCommon(VirtioCommonCfg.QueueSize, size, 2);
        WriteCommon(VirtioCommonCfg.QueueDesc, (uint)desc, 4);
        WriteCommon(VirtioCommonCfg.QueueDesc + 4, desc >> 32, 4);
        WriteCommon(VirtioCommonCfg.QueueDriver, (uint)avail, 4);
        WriteCommon(VirtioCommonCfg.QueueDriver + 4, avail >> 32, 4);
        WriteCommon(VirtioCommonCfg.QueueDevice, (uint)used, 4);
        WriteCommon(VirtioCommonCfg.QueueDevice + 4, used >> 32, 4);
        WriteCommon(VirtioCommonCfg.QueueMsixVector, vector, 2);
        if (enable) WriteCommon(VirtioCommonCfg.QueueEnable, 1, 2);
    }

    public void Kick(int queue)
    {
        WriteCommon(VirtioCommonCfg.QueueSelect, (ulong)queue, 2);
        ulong off = ReadCommon(VirtioCommonCfg.QueueNotifyOff, 2);
        Write(Notify + off * NotifyOffMultiplier, (ulong)queue, 2);
    }

    /// <summary>Enables MSI-X and programs vector <paramref name="vector"/> (unmasked) to send <paramref name="data"/>.</summary>
    public void EnableMsiX(params (int Vector, uint Data)[] vectors)
    {
        int cap = Transport.MsiX.CapabilityOffset;
        ConfigWrite(cap + 2, 0x8000, 2);
        ulong table = BarAddress(VirtioPciLayout.MsiXBar) + VirtioPciLayout.MsiXTableOffset;
        foreach (var (v, data) in vectors)
        {
            ulong entry = table + (ulong)v * 16;
            Write(entry, 0xfee0_0000, 4);
            Write(entry + 4, 0, 4);
            Write(entry + 8, data, 4);
            Write(entry + 12, 0, 4);
        }
    }
}
