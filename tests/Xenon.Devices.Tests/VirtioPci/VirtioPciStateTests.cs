using Xenon.Devices.Virtio.Pci;

namespace Xenon.Devices.Tests.VirtioPci;

public sealed class VirtioPciStateTests
{
    private const ulong Wanted = VirtioTransportFeatures.Version1 | VirtioTransportFeatures.IndirectDescriptors;

    [Fact]
    public void StateRoundTripsIntoAFreshTransportAndReactivatesTheDevice()
    {
        using var source = new VirtioPciRig();
        Assert.True(source.Negotiate(Wanted));
        source.WriteCommon(VirtioCommonCfg.MsixConfig, 2, 2);
        source.SetupQueue(0, 64, 0x10000, 0x11000, 0x12000, vector: 1);
        source.AddStatus(VirtioStatusBits.DriverOk);
        source.Transport.Interrupt.SignalUsedBuffers(0);
        var state = source.Transport.GetState();

        using var target = new VirtioPciRig();
        target.Transport.SetState(state);
        Assert.Equal(source.Status, target.Status);
        Assert.Equal(Wanted, target.Transport.DriverFeatures);
        var (features, queues, _) = Assert.Single(target.Device.Activations);
        Assert.Equal(Wanted, features);
        Assert.True(queues[0].Ready);
        Assert.True(queues[0].IndirectDescriptors);
        Assert.Equal(0x12000ul, queues[0].UsedRing);
        Assert.Equal(2ul, target.ReadCommon(VirtioCommonCfg.MsixConfig, 2));
        target.WriteCommon(VirtioCommonCfg.QueueSelect, 0, 2);
        Assert.Equal(1ul, target.ReadCommon(VirtioCommonCfg.QueueMsixVector, 2));
        Assert.True(target.Irq!.Level, target.Irq.ToString());
        Assert.Equal(0x1ul, target.Read(target.Isr, 1));
        Assert.Equal(state with { Isr = 0, QueueVectors = state.QueueVectors, Queues = state.Queues }, target.Transport.GetState() with { QueueVectors = state.QueueVectors, Queues = state.Queues });
    }

    [Fact]
    public void InvalidStateIsRefusedAndLeavesTheTransportReset()
    {
        using var rig = new VirtioPciRig();
        var good = rig.Transport.GetState();
        Assert.Throws<ArgumentException>(() => rig.Transport.SetState(good with { Queues = [good.Queues[0]] }));
        Assert.Throws<ArgumentException>(() => rig.Transport.SetState(good with { DriverFeatures = 1UL << 50 }));
        var badQueue = good.Queues[0] with { Ready = true, Size = 64, DescriptorTable = 0x7fff_0000_0000 };
        var ex = Assert.Throws<ArgumentException>(() => rig.Transport.SetState(good with { Queues = [badQueue, good.Queues[1]] }));
        Assert.Contains("enabled", ex.Message);
        Assert.Equal(0, rig.Status);
        Assert.All(rig.Transport.Queues, q => Assert.False(q.Ready));
    }
}
