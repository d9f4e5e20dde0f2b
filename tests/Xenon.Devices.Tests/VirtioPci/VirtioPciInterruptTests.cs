using Xenon.Devices.Pci;
using Xenon.Devices.Virtio.Pci;

namespace Xenon.Devices.Tests.VirtioPci;

public sealed class VirtioPciInterruptTests
{
    private const ulong Wanted = VirtioTransportFeatures.Version1;

    private static VirtioPciRig Activated(bool msiX, bool withIrqLine = true)
    {
        var rig = new VirtioPciRig(withIrqLine: withIrqLine);
        if (msiX) rig.EnableMsiX((0, 0x40), (1, 0x41), (2, 0x42));
        Assert.True(rig.Negotiate(Wanted));
        rig.WriteCommon(VirtioCommonCfg.MsixConfig, 0, 2);
        rig.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000, vector: 1);
        rig.SetupQueue(1, 64, 0x20000, 0x21000, 0x22000, vector: 2);
        rig.AddStatus(VirtioStatusBits.DriverOk);
        return rig;
    }

    [Fact]
    public void UsedBuffersSendTheQueuesMsiXVector()
    {
        using var rig = Activated(msiX: true);
        var interrupt = Assert.Single(rig.Device.Activations).Interrupt;
        interrupt.SignalUsedBuffers(0);
        interrupt.SignalUsedBuffers(1);
        Assert.Equal([(0xfee0_0000ul, 0x41u), (0xfee0_0000ul, 0x42u)], rig.Msi.Messages);
        Assert.False(rig.Irq!.Level, rig.Irq.ToString());
        Assert.Empty(rig.Irq.Levels);
    }

    [Fact]
    public void ConfigChangeAndNeedsResetUseTheConfigVector()
    {
        using var rig = Activated(msiX: true);
        rig.Transport.NotifyConfigChanged();
        Assert.Equal(1ul, rig.ReadCommon(VirtioCommonCfg.ConfigGeneration, 1));
        rig.Transport.Interrupt.SignalNeedsReset("backend failed");
        Assert.Equal([(0xfee0_0000ul, 0x40u), (0xfee0_0000ul, 0x40u)], rig.Msi.Messages);
        Assert.NotEqual(0, rig.Status & VirtioStatusBits.DeviceNeedsReset);
        Assert.Equal("backend failed", rig.Transport.NeedsResetReason);
    }

    [Fact]
    public void WithMsiXOnAnEventWithoutAVectorRaisesNothing()
    {
        using var rig = Activated(msiX: true);
        rig.WriteCommon(VirtioCommonCfg.QueueSelect, 0, 2);
        // vector 0 is valid, 9 is not: it reads back as NO_VECTOR, as Linux checks.
        rig.WriteCommon(VirtioCommonCfg.QueueMsixVector, 9, 2);
        Assert.Equal(VirtioCommonCfg.NoVector, rig.ReadCommon(VirtioCommonCfg.QueueMsixVector, 2));
        rig.Transport.Interrupt.SignalUsedBuffers(0);
        Assert.Empty(rig.Msi.Messages);
        Assert.Empty(rig.Irq!.Levels);
    }

    [Fact]
    public void WithoutMsiXUsedBuffersRaiseIntxUntilTheIsrIsRead()
    {
        using var rig = Activated(msiX: false);
        var interrupt = rig.Transport.Interrupt;
        interrupt.SignalUsedBuffers(0);
        Assert.True(rig.Irq!.Level, rig.Irq.ToString());
        interrupt.SignalUsedBuffers(1);
        rig.Transport.NotifyConfigChanged();
        Assert.Equal(0x3ul, rig.Read(rig.Isr, 1));
        Assert.False(rig.Irq.Level, rig.Irq.ToString());
        Assert.Equal(0ul, rig.Read(rig.Isr, 1));
        Assert.Equal([true, false], rig.Irq.Levels);
        Assert.Empty(rig.Msi.Messages);
    }

    [Fact]
    public void InterruptDisableAndMsiXEnableGateTheLine()
    {
        using var rig = Activated(msiX: false);
        rig.Transport.Interrupt.SignalUsedBuffers(0);
        Assert.True(rig.Irq!.Level);
        rig.ConfigWrite(PciConfigOffsets.Command, PciCommand.MemorySpace | PciCommand.InterruptDisable, 2);
        Assert.False(rig.Irq.Level, rig.Irq.ToString());
        rig.ConfigWrite(PciConfigOffsets.Command, PciCommand.MemorySpace, 2);
        Assert.True(rig.Irq.Level, rig.Irq.ToString());
        rig.ConfigWrite(rig.Transport.MsiX.CapabilityOffset + 2, 0x8000, 2);
        Assert.False(rig.Irq.Level, rig.Irq.ToString());
    }

    [Fact]
    public void WithoutAnIrqLineIntxStillSetsTheIsr()
    {
        using var rig = Activated(msiX: false, withIrqLine: false);
        rig.Transport.Interrupt.SignalUsedBuffers(1);
        Assert.Equal(0x1ul, rig.Read(rig.Isr, 4));
    }

    [Fact]
    public void ResetClearsIsrAndDropsTheLine()
    {
        using var rig = Activated(msiX: false);
        rig.Transport.Interrupt.SignalUsedBuffers(0);
        rig.WriteCommon(VirtioCommonCfg.DeviceStatus, 0, 1);
        Assert.False(rig.Irq!.Level, rig.Irq.ToString());
        Assert.Equal(0ul, rig.Read(rig.Isr, 1));
    }
}
