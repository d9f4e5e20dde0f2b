using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Pci;

public sealed class PciEcamTests
{
    [Fact]
    public void EcamAndPortMechanismSeeTheSameSpace()
    {
        var rig = new PciRig();
        var a = rig.Root.Attach(TestPciDevice.Create(new FakeMsiSink()));
        for (int reg = 0; reg < 256; reg += 4)
        {
            uint viaPorts = rig.Cf8Read(a, reg, 4);
            uint viaEcam = rig.EcamRead(a, reg, 4);
            Assert.True(viaPorts == viaEcam, $"register 0x{reg:x2}: 0xcfc read 0x{viaPorts:x8}, ECAM read 0x{viaEcam:x8}");
        }
        rig.EcamWrite(a, 0x3c, 0x0a, 1);
        Assert.Equal(0x0au, rig.Cf8Read(a, 0x3c, 1));
        rig.Cf8Write(a, 0x3c, 0x0e, 1);
        Assert.Equal(0x0eu, rig.EcamRead(a, 0x3c, 1));
    }

    [Fact]
    public void EcamDecodesBusDeviceFunction()
    {
        var rig = new PciRig();
        var a = rig.Root.Attach(TestPciDevice.Create(new FakeMsiSink()), 7);
        Assert.Equal(new PciAddress(0, 7, 0), a);
        Assert.Equal(0x5678_1234u, rig.EcamRead(a, 0, 4));
        Assert.Equal(0x29c0_8086u, rig.EcamRead(new PciAddress(0, 0, 0), 0, 4));
        Assert.Equal(0xffff_ffffu, rig.EcamRead(new PciAddress(0, 7, 1), 0, 4));
        Assert.Equal(0xffff_ffffu, rig.EcamRead(new PciAddress(1, 7, 0), 0, 4));
        Assert.Equal(0xffff_ffffu, rig.EcamRead(new PciAddress(255, 31, 7), 0xffc, 4));
    }

    [Fact]
    public void ExtendedRegistersOfALegacyFunctionReadAllOnes()
    {
        var rig = new PciRig();
        Assert.Equal(0xffff_ffffu, rig.EcamRead(new PciAddress(0, 0, 0), 0x100, 4));
        rig.EcamWrite(new PciAddress(0, 0, 0), 0x100, 0, 4);
    }

    [Theory]
    [InlineData(0x0au, 2, 0x0600u)]
    [InlineData(0x0bu, 1, 0x06u)]
    [InlineData(0x02u, 2, 0x29c0u)]
    public void ByteAndWordAccesses(uint reg, int size, uint expected)
    {
        var rig = new PciRig();
        Assert.Equal(expected, rig.EcamRead(new PciAddress(0, 0, 0), (int)reg, size));
    }

    [Fact]
    public void AccessCrossingIntoTheNextFunctionIsClipped()
    {
        var rig = new PciRig();
        Span<byte> b = stackalloc byte[8];
        rig.Ecam.Read(0xffc, b);
        Assert.Equal(Enumerable.Repeat((byte)0xff, 8).ToArray(), b.ToArray());
        rig.Ecam.Write(0xffe, [1, 2, 3, 4]);
        rig.Ecam.Read(X86Layout.PciEcamSize + 4, b);
        Assert.Equal(0xff, b[0]);
    }
}
