using Xenon.Devices.Virtio.Pci;

namespace Xenon.Devices.Tests.VirtioPci;

/// <summary>The driver's initialisation sequence (virtio 1.x §3.1.1) as Linux performs it, and reset.</summary>
public sealed class VirtioPciLifecycleTests
{
    private const ulong Wanted = VirtioTransportFeatures.Version1 | VirtioTransportFeatures.EventIdx | FakeVirtioDevice.FeatureA;

    [Fact]
    public void DeviceOffersItsFeaturesPlusTheTransports()
    {
        using var rig = new VirtioPciRig();
        Assert.Equal(FakeVirtioDevice.FeatureA | FakeVirtioDevice.FeatureB | VirtioTransportFeatures.Offered, rig.DeviceFeatures());
        rig.WriteCommon(VirtioCommonCfg.DeviceFeatureSelect, 2, 4);
        Assert.Equal(0ul, rig.ReadCommon(VirtioCommonCfg.DeviceFeature, 4));
        Assert.Equal(2ul, rig.ReadCommon(VirtioCommonCfg.NumQueues, 2));
    }

    [Fact]
    public void FullInitialisationActivatesTheDeviceWithTheNegotiatedFeatures()
    {
        using var rig = new VirtioPciRig();
        Assert.True(rig.Negotiate(Wanted), $"FEATURES_OK refused; status 0x{rig.Status:x2}");
        rig.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000);
        Assert.Equal(1ul, rig.ReadCommon(VirtioCommonCfg.QueueEnable, 2));
        Assert.Empty(rig.Device.Activations);

        rig.AddStatus(VirtioStatusBits.DriverOk);
        Assert.Equal(VirtioStatusBits.Acknowledge | VirtioStatusBits.Driver | VirtioStatusBits.FeaturesOk | VirtioStatusBits.DriverOk, rig.Status);
        var (features, queues, _) = Assert.Single(rig.Device.Activations);
        Assert.Equal(Wanted, features);
        Assert.Equal(2, queues.Count);
        var q0 = queues[0];
        Assert.True(q0.Ready);
        Assert.Equal((ushort)64, q0.Size);
        Assert.Equal(0x10000ul, q0.DescriptorTable);
        Assert.Equal(0x11000ul, q0.AvailRing);
        Assert.Equal(0x12000ul, q0.UsedRing);
        Assert.True(q0.EventIdx);
        Assert.False(q0.IndirectDescriptors);
        Assert.False(queues[1].Ready);
    }

    [Theory]
    [InlineData(1ul << 40)]                                  // not offered
    [InlineData(FakeVirtioDevice.FeatureA)]                  // no VERSION_1: a legacy driver
    public void UnacceptableFeaturesLeaveFeaturesOkClear(ulong features)
    {
        using var rig = new VirtioPciRig();
        Assert.False(rig.Negotiate(features | (features == FakeVirtioDevice.FeatureA ? 0 : VirtioTransportFeatures.Version1)));
        Assert.Equal(VirtioStatusBits.Acknowledge | VirtioStatusBits.Driver, rig.Status);
        // DRIVER_OK without FEATURES_OK is not accepted either.
        rig.AddStatus(VirtioStatusBits.DriverOk);
        Assert.Equal(0, rig.Status & VirtioStatusBits.DriverOk);
        Assert.Empty(rig.Device.Activations);
    }

    [Fact]
    public void FeaturesAreFixedOnceFeaturesOkIsSet()
    {
        using var rig = new VirtioPciRig();
        Assert.True(rig.Negotiate(Wanted));
        rig.WriteDriverFeatures(VirtioTransportFeatures.Version1);
        Assert.Equal(Wanted, rig.Transport.DriverFeatures);
        rig.WriteCommon(VirtioCommonCfg.DriverFeatureSelect, 0, 4);
        Assert.Equal(Wanted & 0xffff_ffff, rig.ReadCommon(VirtioCommonCfg.DriverFeature, 4));
    }

    [Fact]
    public void ResetStopsTheDeviceAndDisablesEveryQueue()
    {
        using var rig = new VirtioPciRig();
        Assert.True(rig.Negotiate(Wanted));
        int resetsBefore = rig.Device.Resets;
        rig.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000, vector: 1);
        rig.SetupQueue(1, 32, 0x20000, 0x21000, 0x22000, vector: 2);
        rig.AddStatus(VirtioStatusBits.DriverOk);

        rig.WriteCommon(VirtioCommonCfg.DeviceStatus, 0, 1);
        Assert.Equal(0, rig.Status);
        Assert.Equal(resetsBefore + 1, rig.Device.Resets);
        Assert.All(rig.Transport.Queues, q => Assert.False(q.Ready));
        Assert.Equal(0ul, rig.Transport.DriverFeatures);
        rig.WriteCommon(VirtioCommonCfg.QueueSelect, 1, 2);
        Assert.Equal(0ul, rig.ReadCommon(VirtioCommonCfg.QueueEnable, 2));
        Assert.Equal(128ul, rig.ReadCommon(VirtioCommonCfg.QueueSize, 2)); // back to the maximum
        Assert.Equal(0ul, rig.ReadCommon(VirtioCommonCfg.QueueDesc, 8));
        Assert.Equal(VirtioCommonCfg.NoVector, rig.ReadCommon(VirtioCommonCfg.QueueMsixVector, 2));

        // The driver can start over, and the device is activated again.
        Assert.True(rig.Negotiate(Wanted));
        rig.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000);
        rig.AddStatus(VirtioStatusBits.DriverOk);
        Assert.Equal(2, rig.Device.Activations.Count);
    }

    [Fact]
    public void QueueRegistersFollowQueueSelectAndOutOfRangeReadsZero()
    {
        using var rig = new VirtioPciRig();
        rig.WriteCommon(VirtioCommonCfg.QueueSelect, 0, 2);
        Assert.Equal(256ul, rig.ReadCommon(VirtioCommonCfg.QueueSize, 2));
        Assert.Equal(0ul, rig.ReadCommon(VirtioCommonCfg.QueueNotifyOff, 2));
        rig.WriteCommon(VirtioCommonCfg.QueueSelect, 1, 2);
        Assert.Equal(128ul, rig.ReadCommon(VirtioCommonCfg.QueueSize, 2));
        Assert.Equal(1ul, rig.ReadCommon(VirtioCommonCfg.QueueNotifyOff, 2));

        rig.WriteCommon(VirtioCommonCfg.QueueSelect, 7, 2);
        rig.WriteCommon(VirtioCommonCfg.QueueSize, 16, 2);
        rig.WriteCommon(VirtioCommonCfg.QueueDesc, 0x5000, 8);
        rig.WriteCommon(VirtioCommonCfg.QueueEnable, 1, 2);
        for (int field = VirtioCommonCfg.QueueSize; field < 0x38; field += 2)
            Assert.True(rig.ReadCommon(field, 2) == 0, $"field 0x{field:x} of a missing queue reads 0x{rig.ReadCommon(field, 2):x}");
        Assert.Equal(7ul, rig.ReadCommon(VirtioCommonCfg.QueueSelect, 2));
        Assert.Equal(0ul, rig.ReadCommon(0x38, 4)); // past virtio_pci_common_cfg
    }

    [Fact]
    public void SixtyFourBitAddressesTakeAnyAccessSize()
    {
        using var rig = new VirtioPciRig();
        rig.WriteCommon(VirtioCommonCfg.QueueSelect, 0, 2);
        rig.WriteCommon(VirtioCommonCfg.QueueDesc, 0x1122_3344_5566_7780, 8);
        Assert.Equal(0x1122_3344_5566_7780ul, rig.ReadCommon(VirtioCommonCfg.QueueDesc, 8));
        rig.WriteCommon(VirtioCommonCfg.QueueDesc + 4, 0, 4);
        rig.WriteCommon(VirtioCommonCfg.QueueDesc + 1, 0xab, 1);
        Assert.Equal(0x5566_ab80ul, rig.ReadCommon(VirtioCommonCfg.QueueDesc, 8));
        Assert.Equal(0xab80ul, rig.ReadCommon(VirtioCommonCfg.QueueDesc, 2));
    }

    [Fact]
    public void LiveQueueConfigurationIsFrozen()
    {
        using var rig = new VirtioPciRig();
        Assert.True(rig.Negotiate(Wanted));
        rig.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000);
        rig.WriteCommon(VirtioCommonCfg.QueueSize, 32, 2);
        rig.WriteCommon(VirtioCommonCfg.QueueDesc, 0x40000, 8);
        rig.WriteCommon(VirtioCommonCfg.QueueEnable, 0, 2);
        Assert.Equal(64ul, rig.ReadCommon(VirtioCommonCfg.QueueSize, 2));
        Assert.Equal(0x10000ul, rig.ReadCommon(VirtioCommonCfg.QueueDesc, 8));
        Assert.Equal(1ul, rig.ReadCommon(VirtioCommonCfg.QueueEnable, 2));
    }

    [Theory]
    [InlineData((ushort)48, 0x10000ul)]     // not a power of two
    [InlineData((ushort)512, 0x10000ul)]    // above the maximum (256)
    [InlineData((ushort)64, 0xfff_fc00ul)]  // ring outside 16 MiB of RAM
    [InlineData((ushort)64, 0x10008ul)]     // misaligned descriptor table
    public void AQueueThatCannotBeEnabledSetsNeedsReset(ushort size, ulong desc)
    {
        using var rig = new VirtioPciRig();
        Assert.True(rig.Negotiate(Wanted));
        rig.WriteCommon(VirtioCommonCfg.MsixConfig, 0, 2);
        rig.SetupQueue(0, size, desc, 0x11000, 0x12000);
        Assert.Equal(0ul, rig.ReadCommon(VirtioCommonCfg.QueueEnable, 2));
        Assert.False(rig.Transport.Queues[0].Ready);
        Assert.NotEqual(0, rig.Status & VirtioStatusBits.DeviceNeedsReset);
        Assert.NotNull(rig.Transport.NeedsResetReason);
        // A config interrupt was raised (INTx here: MSI-X is off).
        Assert.Equal(0x2ul, rig.Read(rig.Isr, 1));

        // Only a reset clears it.
        rig.AddStatus(VirtioStatusBits.DriverOk);
        rig.WriteCommon(VirtioCommonCfg.DeviceStatus, 0, 1);
        Assert.Equal(0, rig.Status);
        Assert.Null(rig.Transport.NeedsResetReason);
    }

    [Fact]
    public void DriverCannotSetNeedsResetOrClearBits()
    {
        using var rig = new VirtioPciRig();
        rig.WriteCommon(VirtioCommonCfg.DeviceStatus, VirtioStatusBits.Acknowledge | VirtioStatusBits.DeviceNeedsReset, 1);
        Assert.Equal(VirtioStatusBits.Acknowledge, rig.Status);
        rig.WriteCommon(VirtioCommonCfg.DeviceStatus, VirtioStatusBits.Failed, 1);
        Assert.Equal(VirtioStatusBits.Acknowledge | VirtioStatusBits.Failed, rig.Status);
    }

    [Fact]
    public void NotificationsReachTheDeviceOnlyForLiveQueues()
    {
        using var rig = new VirtioPciRig();
        Assert.True(rig.Negotiate(Wanted));
        rig.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000);
        rig.Kick(0);
        Assert.Empty(rig.Device.Notifications); // not DRIVER_OK yet

        rig.AddStatus(VirtioStatusBits.DriverOk);
        rig.Kick(0);
        rig.Kick(1);                                // queue 1 not enabled
        rig.Write(rig.Notify + 2, 0, 1);            // any write inside queue 0's doorbell
        rig.Write(rig.Notify + 0x800, 0, 4);        // past the doorbells
        Assert.Equal([0, 0], rig.Device.Notifications);
        Assert.Equal(0ul, rig.Read(rig.Notify, 4));
    }
}
