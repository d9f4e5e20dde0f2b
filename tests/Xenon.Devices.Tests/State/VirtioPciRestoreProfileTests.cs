using Xenon.Devices.Virtio.Pci;
using Xenon.Machine.State;

namespace Xenon.Devices.Tests.State;

/// <summary>Under a <see cref="RestoreProfile"/>, a virtio-pci function's restore names its steps (decode, MSI-X table,
/// configuration space, queues and model, activation, INTx line), so a slow one can be told apart in the receiver's log.</summary>
public sealed class VirtioPciRestoreProfileTests
{
    private const ulong Features = VirtioTransportFeatures.Version1 | VirtioTransportFeatures.EventIdx;
    private const string Ms = @"\d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?";

    [Fact]
    public void AnActiveFunctionsRestoreNamesEachStepInOrder()
    {
        using var source = new VirtioStateRig(new EchoVirtioDevice.Stateful());
        source.Start(Features);
        byte[] saved = StateBlob.Save(source.Transport);

        using var target = new VirtioStateRig(new EchoVirtioDevice.Stateful());
        var profile = new RestoreProfile();
        using (profile.Enter()) target.Transport.RestoreState(saved);

        Assert.Matches($"^decode {Ms}, msix {Ms}, config {Ms}, queues\\+model {Ms}, activate {Ms}, intx {Ms}$", profile.ToString());
        Assert.Equal(source.Transport.Status, target.Transport.Status);
    }

    [Fact]
    public void AFunctionTheDriverNeverStartedHasNoActivationStep()
    {
        using var source = new VirtioStateRig(new EchoVirtioDevice());
        byte[] saved = StateBlob.Save(source.Transport);

        using var target = new VirtioStateRig(new EchoVirtioDevice());
        var profile = new RestoreProfile();
        using (profile.Enter()) target.Transport.RestoreState(saved);

        Assert.Matches($"^decode {Ms}, msix {Ms}, config {Ms}, queues\\+model {Ms}, intx {Ms}$", profile.ToString());
    }
}
