using Xenon.Devices.Pci;
using Xenon.Devices.Virtio.Pci;

namespace Xenon.Devices.Tests.VirtioPci;

public sealed class VirtioPciDiscoveryTests
{
    [Theory]
    [InlineData((ushort)2, 0x018000u)]
    [InlineData((ushort)1, 0x020000u)]
    [InlineData((ushort)4, 0xff0000u)]
    public void IdentityIsModernVirtio(ushort type, uint classCode)
    {
        using var rig = new VirtioPciRig(new FakeVirtioDevice(type));
        Assert.Equal(0x1af4u, rig.ConfigRead(PciConfigOffsets.VendorId, 2));
        Assert.Equal(0x1040u + type, rig.ConfigRead(PciConfigOffsets.DeviceId, 2));
        Assert.Equal(1u, rig.ConfigRead(PciConfigOffsets.RevisionId, 1));
        Assert.Equal(classCode, rig.ConfigRead(PciConfigOffsets.RevisionId, 4) >> 8);
        Assert.Equal(0x1af4u, rig.ConfigRead(PciConfigOffsets.SubsystemVendorId, 2));
        Assert.Equal((uint)type, rig.ConfigRead(PciConfigOffsets.SubsystemId, 2));
        Assert.Equal(1u, rig.ConfigRead(PciConfigOffsets.InterruptPin, 1));
    }

    [Fact]
    public void CapabilitiesLocateEveryStructureInsideTheRegisterBar()
    {
        using var rig = new VirtioPciRig();
        foreach (byte type in new[] { VirtioPciCapType.CommonCfg, VirtioPciCapType.NotifyCfg, VirtioPciCapType.IsrCfg, VirtioPciCapType.DeviceCfg })
        {
            var cap = rig.Caps[type];
            Assert.Equal(VirtioPciLayout.RegisterBar, cap.Bar);
            Assert.True(cap.Length > 0, $"cfg_type {type} has zero length");
            Assert.True(cap.Offset + cap.Length <= VirtioPciLayout.RegisterBarSize, $"cfg_type {type} at 0x{cap.Offset:x}+0x{cap.Length:x} leaves the BAR");
            Assert.Equal(cap.CapOffset, rig.Transport.CapabilityOffset(type));
        }
        Assert.True(rig.Caps[VirtioPciCapType.CommonCfg].Length >= 0x38);
        Assert.Equal(4u, rig.NotifyOffMultiplier);
        Assert.Equal(2u * 4, rig.Caps[VirtioPciCapType.NotifyCfg].Length);
        Assert.True(rig.Caps.ContainsKey(VirtioPciCapType.PciCfg));
        // The 64-bit BAR takes two registers; the MSI-X BAR is a 32-bit one.
        Assert.Equal(0x4u, rig.ConfigRead(PciConfigOffsets.Bar0 + 4 * VirtioPciLayout.RegisterBar, 4) & 0x7);
        Assert.Equal(0x0u, rig.ConfigRead(PciConfigOffsets.Bar0 + 4 * VirtioPciLayout.MsiXBar, 4) & 0x7);
    }

    [Fact]
    public void MsiXCapabilityHasAVectorPerQueuePlusConfig()
    {
        using var rig = new VirtioPciRig(new FakeVirtioDevice(queueSizes: [64, 64, 64]));
        int cap = rig.Transport.MsiX.CapabilityOffset;
        Assert.Equal(PciCapabilityId.MsiX, (byte)rig.ConfigRead(cap, 1));
        Assert.Equal(3u, rig.ConfigRead(cap + 2, 2) & 0x7ff);
        Assert.Equal((uint)VirtioPciLayout.MsiXBar, rig.ConfigRead(cap + 4, 4) & 7);
    }

    [Fact]
    public void NotifyAddressIsTheQueuesDoorbellInTheBar()
    {
        using var rig = new VirtioPciRig();
        var notify = rig.Caps[VirtioPciCapType.NotifyCfg];
        Assert.Equal(notify.Offset, rig.Transport.NotifyAddress(0));
        Assert.Equal(notify.Offset + 4, rig.Transport.NotifyAddress(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Transport.NotifyAddress(2));
    }

    [Fact]
    public void PciCfgCapabilityIsAWindowOntoTheBar()
    {
        using var rig = new VirtioPciRig();
        int cap = rig.PciCfgCap;
        rig.ConfigWrite(cap + 4, VirtioPciLayout.RegisterBar, 1);
        rig.ConfigWrite(cap + 8, (uint)VirtioPciLayout.CommonOffset + VirtioCommonCfg.NumQueues, 4);
        rig.ConfigWrite(cap + 12, 2, 4);
        Assert.Equal(2u, rig.ConfigRead(cap + 16, 4));

        rig.ConfigWrite(cap + 8, (uint)VirtioPciLayout.CommonOffset + VirtioCommonCfg.DeviceStatus, 4);
        rig.ConfigWrite(cap + 12, 1, 4);
        rig.ConfigWrite(cap + 16, VirtioStatusBits.Acknowledge, 1);
        Assert.Equal(VirtioStatusBits.Acknowledge, rig.Status);

        // A misaligned or oversized target reads zero and writes nothing.
        rig.ConfigWrite(cap + 12, 3, 4);
        Assert.Equal(0u, rig.ConfigRead(cap + 16, 4));
        rig.ConfigWrite(cap + 4, 0, 1);
        rig.ConfigWrite(cap + 12, 1, 4);
        rig.ConfigWrite(cap + 16, 0, 1);
        Assert.Equal(VirtioStatusBits.Acknowledge, rig.Status);
    }

    [Fact]
    public void DeviceConfigurationAreaReachesTheDevice()
    {
        using var rig = new VirtioPciRig();
        Assert.Equal(0xa3a2a1a0ul, rig.Read(rig.DeviceCfg, 4));
        Assert.Equal(0xa5ul, rig.Read(rig.DeviceCfg + 5, 1));
        rig.Write(rig.DeviceCfg + 2, 0x1234, 2);
        var w = Assert.Single(rig.Device.ConfigWrites);
        Assert.Equal(2, w.Offset);
        Assert.Equal(new byte[] { 0x34, 0x12 }, w.Data);
    }

    [Fact]
    public void RejectsDevicesWithMoreQueuesThanDoorbells()
    {
        var sizes = Enumerable.Repeat((ushort)8, VirtioPciLayout.MaxQueues + 1).ToArray();
        using var memory = Xenon.Machine.Memory.GuestMemory.Create([(0, 1 << 20)]);
        var ex = Assert.Throws<ArgumentException>(() => new VirtioPciDevice("x", new FakeVirtioDevice(queueSizes: sizes), memory, new Pci.Support.FakeMsiSink()));
        Assert.Contains("queues", ex.Message);
    }
}
