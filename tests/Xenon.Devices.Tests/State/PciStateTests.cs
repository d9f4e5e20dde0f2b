using Xenon.Devices.Pci;
using Xenon.Devices.State;
using Xenon.Devices.Tests.Pci.Support;

namespace Xenon.Devices.Tests.State;

public sealed class PciStateTests
{
    private static (PciRig Rig, TestPciDevice Device, PciAddress Address) Domain(bool program = true)
    {
        var rig = new PciRig();
        var dev = TestPciDevice.Create(new FakeMsiSink());
        var address = rig.Root.Attach(dev);
        if (program)
        {
            new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root);
            rig.Cf8Write(address, PciConfigOffsets.Command, PciCommand.MemorySpace | PciCommand.IoSpace, 2);
        }
        return (rig, dev, address);
    }

    private static DeviceStateSet Set(PciRig rig, TestPciDevice dev) => new DeviceStateSet().Add(dev).Add(rig.Root).Add(rig.Ports);

    [Fact]
    public void FunctionsRootAndConfigAddressRoundTripAndTheBarsMoveBack()
    {
        var (rig, dev, a) = Domain();
        rig.OutL(0xcf8, PciRig.Cf8Address(a, 0x10)); // a vCPU stopped between its 0xcf8 write and its 0xcfc read
        var saved = Set(rig, dev).Devices.Select(d => (d.StateId, Blob: StateBlob.Save(d))).ToList();
        Assert.Equal(["pci:test", "pci-root", "pci-config-address"], saved.Select(s => s.StateId));

        var (target, copy, b) = Domain(program: false);
        Assert.Null(target.Root.MappedAddress(b, 0));
        var restore = Set(target, copy).BeginRestore();
        foreach (var (id, blob) in saved) restore.Apply(id, blob);
        Assert.Null(target.Root.MappedAddress(b, 0)); // BARs move once every function is back
        restore.Complete();
        for (int bar = 0; bar < 3; bar++) Assert.Equal(rig.Root.MappedAddress(a, bar), target.Root.MappedAddress(b, bar));
        Assert.Equal(rig.Ports.ConfigAddress, target.Ports.ConfigAddress);
        Assert.Equal(rig.In(0xcfc, 4), target.In(0xcfc, 4));
    }

    [Fact]
    public void ReadOnlyBitsMustMatchTheFunction()
    {
        var (_, dev, _) = Domain();
        var state = dev.Config.GetState();
        var (_, other, _) = Domain(program: false);
        foreach (int offset in new[] { PciConfigOffsets.VendorId, PciConfigOffsets.ClassCode, PciConfigOffsets.Bar0, PciConfigOffsets.CapabilitiesPointer })
        {
            byte[] bytes = (byte[])state.Data.Clone();
            bytes[offset] ^= 0x01;
            var e = Assert.Throws<ArgumentException>(() => other.Config.SetState(new PciConfigSpaceState(bytes)));
            Assert.Contains($"0x{offset:x3}", e.Message);
        }
        // Writable, write-one-to-clear and interrupt-status bits may differ.
        byte[] fine = (byte[])state.Data.Clone();
        fine[PciConfigOffsets.Status] |= (byte)PciStatus.InterruptStatus;
        fine[PciConfigOffsets.Status + 1] |= 0x80;
        fine[PciConfigOffsets.InterruptLine] = 0x0b;
        other.Config.SetState(new PciConfigSpaceState(fine));
        Assert.Equal(0x0b, other.Config.ReadByte(PciConfigOffsets.InterruptLine));
    }

    [Fact]
    public void ARootWithOtherFunctionsRefusesTheSlotMap()
    {
        var (rig, _, _) = Domain();
        byte[] blob = StateBlob.Save(rig.Root);
        var empty = new PciRig();
        Assert.Contains("2 PCI functions", Assert.Throws<DeviceStateException>(() => empty.Root.RestoreState(blob)).Message);

        var different = new PciRig();
        different.Root.Attach(new PciDevice("other", new PciIdentity(0x1234, 0x9999, PciClass.Other), []));
        Assert.Contains("1234:5678", Assert.Throws<DeviceStateException>(() => different.Root.RestoreState(blob)).Message);
    }

    [Fact]
    public void CorruptPciBlobsFailCleanly()
    {
        var (rig, dev, _) = Domain();
        StateBlob.AssertOnlyCleanFailures(StateBlob.Save(dev), () => Domain(program: false).Device);
        StateBlob.AssertOnlyCleanFailures(StateBlob.Save(rig.Root), () => Domain(program: false).Rig.Root);
        StateBlob.AssertOnlyCleanFailures(StateBlob.Save(rig.Ports), () => new PciRig().Ports);
    }
}
