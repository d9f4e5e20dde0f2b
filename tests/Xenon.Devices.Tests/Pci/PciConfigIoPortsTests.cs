using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Machine;

namespace Xenon.Devices.Tests.Pci;

public sealed class PciConfigIoPortsTests
{
    private static readonly PciAddress HostBridge = new(0, 0, 0);

    [Fact]
    public void LinuxType1ProbeSucceeds()
    {
        // arch/x86/pci/direct.c pci_check_type1: outb(0x01, 0xcfb); save inl(0xcf8);
        // outl(0x80000000, 0xcf8); inl(0xcf8) must read 0x80000000; then pci_sanity_check.
        var rig = new PciRig();
        rig.Out(0xcfb, 0x01, 1);
        uint saved = rig.InL(0xcf8);
        rig.OutL(0xcf8, 0x8000_0000);
        Assert.Equal(0x8000_0000u, rig.InL(0xcf8));
        rig.OutL(0xcf8, saved);

        // pci_sanity_check: some devfn on bus 0 has class 0x0600 (word at 0x0a) or vendor Intel/Compaq.
        bool found = false;
        for (int devfn = 0; devfn < 256 && !found; devfn++)
        {
            var a = PciAddress.FromDevFn(0, devfn);
            uint cls = rig.Cf8Read(a, 0x0a, 2);
            uint vendor = rig.Cf8Read(a, 0x00, 2);
            found = cls == 0x0600 || vendor == 0x8086 || vendor == 0x0e11;
        }
        Assert.True(found, "no host bridge / Intel function visible through 0xcf8/0xcfc");
    }

    [Fact]
    public void HostBridgeIdentity()
    {
        var rig = new PciRig();
        Assert.Equal(0x29c0_8086u, rig.Cf8Read(HostBridge, 0, 4));
        Assert.Equal(0x0600_0000u, rig.Cf8Read(HostBridge, 8, 4) & 0xffff_ff00);
        Assert.Equal(0u, rig.Cf8Read(HostBridge, 0x0e, 1));
    }

    [Fact]
    public void AbsentFunctionsReadAllOnes()
    {
        var rig = new PciRig();
        for (int dev = 1; dev < 32; dev++)
            Assert.Equal(0xffff_ffffu, rig.Cf8Read(new PciAddress(0, (byte)dev, 0), 0, 4));
        for (int fn = 1; fn < 8; fn++)
            Assert.Equal(0xffff_ffffu, rig.Cf8Read(new PciAddress(0, 0, (byte)fn), 0, 4));
        Assert.Equal(0xffff_ffffu, rig.Cf8Read(new PciAddress(1, 0, 0), 0, 4));
        Assert.Equal(0xffffu, rig.Cf8Read(new PciAddress(0, 5, 0), 2, 2));
        // Writes to absent functions go nowhere and do not throw.
        rig.Cf8Write(new PciAddress(0, 5, 0), 4, 0xffff_ffff, 4);
        Assert.Equal(0xffff_ffffu, rig.Cf8Read(new PciAddress(0, 5, 0), 4, 4));
    }

    [Fact]
    public void DataPortWithoutEnableBitReadsAllOnes()
    {
        var rig = new PciRig();
        rig.OutL(0xcf8, 0x0000_0000); // host bridge, register 0, enable clear
        Assert.Equal(0xffff_ffffu, rig.InL(0xcfc));
        rig.OutL(0xcfc, 0x0000_0000);
        Assert.Equal(0x29c0_8086u, rig.Cf8Read(HostBridge, 0, 4));
    }

    [Fact]
    public void ConfigAddressReservedBitsReadZero()
    {
        var rig = new PciRig();
        rig.OutL(0xcf8, 0xffff_ffff);
        Assert.Equal(0x8fff_fffcu, rig.InL(0xcf8));
    }

    [Theory]
    [InlineData(0, 1, 0x86u)]
    [InlineData(1, 1, 0x80u)]
    [InlineData(2, 1, 0xc0u)]
    [InlineData(3, 1, 0x29u)]
    [InlineData(0, 2, 0x8086u)]
    [InlineData(2, 2, 0x29c0u)]
    [InlineData(0, 4, 0x29c0_8086u)]
    public void ByteWordDwordAccessesThroughTheDataPort(int byteOffset, int size, uint expected)
    {
        var rig = new PciRig();
        Assert.Equal(expected, rig.Cf8Read(HostBridge, byteOffset, size));
    }

    [Fact]
    public void ByteAndWordWritesLandOnTheRightRegister()
    {
        var rig = new PciRig();
        var dev = TestPciDevice.Create(new FakeMsiSink());
        var a = rig.Root.Attach(dev);
        rig.Cf8Write(a, 0x3c, 0x0b, 1);            // interrupt line
        Assert.Equal(0x010bu, rig.Cf8Read(a, 0x3c, 2));
        rig.Cf8Write(a, 0x0c, 0x10, 1);            // cache line size
        Assert.Equal(0x10u, rig.Cf8Read(a, 0x0c, 1));
        rig.Cf8Write(a, 0x04, PciCommand.BusMaster, 2);
        Assert.Equal((uint)PciCommand.BusMaster, rig.Cf8Read(a, 0x04, 2));
    }

    [Fact]
    public void NarrowAccessesToConfigAddressDoNotChangeIt()
    {
        var rig = new PciRig();
        rig.OutL(0xcf8, 0x8000_0008);
        rig.Out(0xcf8, 0x00, 1);
        rig.Out(0xcfa, 0xffff, 2);
        rig.Out(0xcfb, 0x01, 1);
        Assert.Equal(0x8000_0008u, rig.InL(0xcf8));
        Assert.Equal(0xffu, rig.In(0xcf8, 1));
    }

    [Fact]
    public void ByteAccessesAt0xcf9ReachTheResetControl()
    {
        var rig = new PciRig();
        rig.Out(0xcf9, 0x02, 1);
        Assert.Equal(0x02u, rig.In(0xcf9, 1));
        Assert.Empty(rig.Control.Requests);
        rig.Out(0xcf9, 0x06, 1);
        Assert.Equal([(ShutdownReason.Reboot, "reset control register")], rig.Control.Requests);
        // The config address latch is untouched by the reset register.
        Assert.Equal(0u, rig.InL(0xcf8));
    }

    [Fact]
    public void DwordAtTheConfigAddressDoesNotReset()
    {
        var rig = new PciRig();
        rig.OutL(0xcf8, 0x8000_0600); // byte 1 is 0x06, but this is a CONFIG_ADDRESS write
        Assert.Empty(rig.Control.Requests);
    }

    [Fact]
    public void WithoutAResetDeviceTheByteIsIgnored()
    {
        var rig = new PciRig();
        var ports = new PciConfigIoPorts(rig.Root, null);
        ports.Write(1, [0x06]);
        Span<byte> b = stackalloc byte[1];
        ports.Read(1, b);
        Assert.Equal(0xff, b[0]);
    }

    [Fact]
    public void AccessRunningPastTheDataPortGetsOnlyItsBytes()
    {
        var rig = new PciRig();
        rig.OutL(0xcf8, PciRig.Cf8Address(HostBridge, 0));
        Span<byte> b = stackalloc byte[4];
        rig.Ports.Read(6, b); // a dword at 0xcfe: two bytes inside the data port
        Assert.Equal([0xc0, 0x29, 0xff, 0xff], b.ToArray());
    }
}
