using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Tests.Domain;

public sealed class DomainSpecJsonTests
{
    [Fact]
    public void RoundTripsEveryField()
    {
        var spec = new DomainSpec
        {
            Name = "web", Uuid = Guid.NewGuid(), DomId = 7, MemoryMiB = 512, MaxMemoryMiB = 1024, Vcpus = 2, MaxVcpus = 4,
            Kernel = "/k", Ramdisk = "/r", Cmdline = "console=ttyS0 \"quoted\"",
            OnPowerOff = LifecycleAction.Preserve, OnReboot = LifecycleAction.Destroy, OnCrash = LifecycleAction.RenameRestart,
            Disks = [new DiskSpec { Path = "/img/a", Vdev = "xvda" }, new DiskSpec { Path = "/img/b", Vdev = "xvdb", ReadOnly = true }],
            Vifs = [new VifSpec { DevId = 0, Mac = "00:16:3e:01:02:03", IfName = "vif7.0", Bridge = "br1", Script = "/s", Mtu = 9000, Ip = "10.0.0.2" }],
            Channels = [new ChannelSpec { Name = "org.x.0", Path = "/run/x.sock" }],
            Rng = false,
        };
        var json = DomainSpecJson.Serialize(spec);
        Assert.Contains("\"memory_mib\": 512", json);
        var back = DomainSpecJson.Deserialize(json, "spec.json");
        Assert.Equal(spec.Disks, back.Disks);
        Assert.Equal(spec.Vifs, back.Vifs);
        Assert.Equal(spec.Channels, back.Channels);
        // Lists compare by reference in records: compare the rest with the lists swapped in.
        Assert.Equal(spec, back with { Disks = spec.Disks, Vifs = spec.Vifs, Channels = spec.Channels });
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"name\":\"x\"}")]                         // required members missing
    [InlineData("{\"name\":\"x\",\"memory_mib\":-1,\"kernel\":\"/k\"}")]
    [InlineData("{\"name\":\"x\",\"memory_mib\":64,\"kernel\":\"/k\",\"on_reboot\":\"explode\"}")]
    public void MalformedSpecsAreRefusedNamingTheFile(string json)
    {
        var e = Assert.Throws<InvalidDataException>(() => DomainSpecJson.Deserialize(json, "/run/xenon/domains/x/spec.json"));
        Assert.Contains("/run/xenon/domains/x/spec.json", e.Message);
    }
}
