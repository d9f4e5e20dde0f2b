using Xenon.Devices.Legacy.Platform;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.State;
using Xenon.Devices.Tests.Fakes;

namespace Xenon.Devices.Tests.State;

public sealed class DeviceStateSetTests
{
    private static Serial16550 Uart(string id) => new(new FakeIrqLine(4), new CapturingSerialOutput()) { StateId = id };

    [Fact]
    public void IdsMustBeValidAndDistinct()
    {
        var set = new DeviceStateSet().Add(Uart("serial0"));
        Assert.Throws<ArgumentException>(() => set.Add(Uart("serial0")));
        Assert.Throws<ArgumentException>(() => set.Add(Uart("has space")));
        Assert.Throws<ArgumentException>(() => set.Add(Uart("")));
        Assert.Throws<ArgumentException>(() => set.Add(Uart(new string('x', 129))));
    }

    [Fact]
    public void RestoreRefusesUnknownRepeatedAndMissingDevices()
    {
        var a = Uart("serial0");
        var reset = new ResetControl(new FakeMachineControl());
        var set = new DeviceStateSet().Add(a).Add(reset);
        byte[] blob = StateBlob.Save(a);

        var restore = set.BeginRestore();
        Assert.Contains("'serial9'", Assert.Throws<DeviceStateException>(() => restore.Apply("serial9", blob)).Message);
        restore.Apply("serial0", blob);
        Assert.Contains("two saved states", Assert.Throws<DeviceStateException>(() => restore.Apply("serial0", blob)).Message);
        Assert.Contains("'reset-control' has no saved state", Assert.Throws<DeviceStateException>(restore.Complete).Message);
    }

    [Fact]
    public void ADeviceRefusalNamesTheDevice()
    {
        var set = new DeviceStateSet().Add(Uart("serial0"));
        var e = Assert.Throws<DeviceStateException>(() => set.BeginRestore().Apply("serial0", [1, 2, 3]));
        Assert.StartsWith("device 'serial0':", e.Message);
    }
}
