using Xenon.Devices.Virtio.Net;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>TUNSETOFFLOAD costs milliseconds (the kernel recomputes the tap's and its bridge's features): the device
/// skips a call that would change nothing, and a restore's receiver sets the likely offloads before the state comes,
/// so the activation inside the downtime makes none.</summary>
public sealed class VirtioNetOffloadPrepareTests
{
    private static readonly NetOffloads All = NetOffloads.Checksum | NetOffloads.Tso4 | NetOffloads.Tso6 | NetOffloads.TsoEcn;

    [Fact]
    public void PreparedDevice_ActivatedWithEveryOffload_CallsTheBackendOnlyInPrepare()
    {
        using var rig = new NetRig(activate: false);
        rig.Device.PrepareForRestore();
        Assert.Equal([All], rig.Backend.OffloadCalls);
        Assert.Equal(NetOffloads.None, rig.Device.ReceiveOffloads); // no driver accepted anything yet
        Assert.False(rig.Backend.Interested);

        rig.Activate(rig.AllFeatures);
        Assert.Equal([All], rig.Backend.OffloadCalls);
        Assert.Equal(All, rig.Device.ReceiveOffloads);
        Assert.True(rig.Backend.Interested);
    }

    [Fact]
    public void PreparedDevice_ActivatedWithFewerOffloads_GetsTheDriversSet()
    {
        using var rig = new NetRig(activate: false);
        rig.Device.PrepareForRestore();
        rig.Activate(VirtioNetFeatures.Mac | VirtioNetFeatures.GuestCsum);
        Assert.Equal([All, NetOffloads.Checksum], rig.Backend.OffloadCalls);
        Assert.Equal(NetOffloads.Checksum, rig.Device.ReceiveOffloads);
    }

    [Fact]
    public void PrepareForRestore_LeavesAnActiveDeviceAlone()
    {
        using var rig = new NetRig(features: VirtioNetFeatures.Mac | VirtioNetFeatures.GuestCsum);
        rig.Device.PrepareForRestore();
        Assert.Equal([NetOffloads.Checksum], rig.Backend.OffloadCalls);
        Assert.Equal(NetOffloads.Checksum, rig.Device.ReceiveOffloads);
    }

    [Fact]
    public void UnchangedOffloads_AreNotSetAgain_AfterResetAndReactivation()
    {
        using var rig = new NetRig();
        rig.Device.Reset();
        rig.Device.Reset();
        rig.Activate(rig.AllFeatures);
        rig.Activate(rig.AllFeatures);
        Assert.Equal([All, NetOffloads.None, All], rig.Backend.OffloadCalls);
    }

    [Fact]
    public void ARefusedCall_IsTriedAgainNextTime()
    {
        using var rig = new NetRig(activate: false);
        rig.Backend.RefuseOffloads = true;
        rig.Device.PrepareForRestore();
        rig.Backend.RefuseOffloads = false;
        rig.Activate(rig.AllFeatures);
        Assert.Equal([All, All], rig.Backend.OffloadCalls);
    }
}
