using System.Text.Json;
using Xenon.Domain.Process;
using Xenon.Machine.Backend;

namespace Xenon.Domain.Tests.Process;

/// <summary>
/// spec.json is written and read by hand; System.Text.Json's serializer (the source-generated context that used to
/// do it) is the reference for the format, byte for byte, and for what reading accepts.
/// </summary>
public sealed class DomainSpecJsonTests
{
    private static DomainSpec Minimal() => new() { Name = "d", MemoryMiB = 256, Kernel = "/k" };

    private static DomainSpec Full() => new()
    {
        Name = "wëird \"name\" <&>+'\\\t\u2028 😀",
        Uuid = Guid.Parse("bcec6f59-8c97-4053-a4e8-8508b254711a"),
        DomId = 7,
        MemoryMiB = ulong.MaxValue,
        MaxMemoryMiB = 4096,
        Vcpus = 4,
        MaxVcpus = 8,
        Kernel = "/opt/guest/vmlinuz",
        Ramdisk = "/opt/guest/initrd.img",
        Cmdline = "console=ttyS0 quiet -- sh -c 'echo a > /dev/null'",
        OnPowerOff = LifecycleAction.Preserve,
        OnReboot = LifecycleAction.RenameRestart,
        OnCrash = LifecycleAction.CoredumpRestart,
        Disks = [new DiskSpec { Path = "/img/a.raw", Vdev = "xvda" }, new DiskSpec { Path = "/dev/sdb", Vdev = "xvdb", ReadOnly = true, DirectIo = true }],
        Vifs = [new VifSpec { DevId = 1, Mac = "00:16:3e:00:00:01", IfName = "vif7.1", Script = "/etc/xen/vif", Mtu = 9000, Ip = "10.0.0.2" }],
        Channels = [new ChannelSpec { Name = "org.qemu.guest_agent.0", Path = "/run/x.sock" }],
        Rng = false,
        Accel = AccelMode.Soft,
    };

    public static TheoryData<string> Specs() => ["minimal", "full", "undefined-enums", "null-lists", "null-items"];

    private static DomainSpec Build(string which) => which switch
    {
        "minimal" => Minimal(),
        "full" => Full(),
        "undefined-enums" => Minimal() with { OnCrash = (LifecycleAction)42, Accel = (AccelMode)9 },
        "null-lists" => Minimal() with { Disks = null!, Vifs = null!, Channels = null! },
        "null-items" => Minimal() with { Disks = [null!] },
        _ => throw new ArgumentException(which),
    };

    private static string Reference(DomainSpec spec) => JsonSerializer.Serialize(spec, DomainSpecJsonContext.Default.DomainSpec);

    [Theory]
    [MemberData(nameof(Specs))]
    public void Serialize_IsByteForByteTheSerializersOutput(string which)
    {
        var spec = Build(which);
        Assert.Equal(Reference(spec), DomainSpecJson.Serialize(spec));
    }

    [Theory]
    [InlineData("minimal")]
    [InlineData("full")]
    [InlineData("undefined-enums")]
    public void Deserialize_RoundTripsAndAgreesWithTheSerializer(string which)
    {
        var json = Reference(Build(which));
        var mine = DomainSpecJson.Deserialize(json, "spec.json");
        var theirs = JsonSerializer.Deserialize(json, DomainSpecJsonContext.Default.DomainSpec)!;
        Assert.Equal(json, DomainSpecJson.Serialize(mine));
        Assert.Equal(Reference(theirs), DomainSpecJson.Serialize(mine));
    }

    [Fact]
    public void Deserialize_OlderFileWithoutNewerMembers_ValueMembersGetTheSerializersDefaults()
    {
        // A file (or a saved image's configuration) from before channels, rng and accel existed. The serializer
        // gave missing members their type's default (rng false: such a domain had no virtio-rng, so a restore
        // keeps its devices); for lists it gave null, which now reads as empty instead.
        const string json = """
            {
              "name": "console-input",
              "uuid": "bcec6f59-8c97-4053-a4e8-8508b254711a",
              "domid": 1,
              "memory_mib": 256,
              "max_memory_mib": 256,
              "vcpus": 1,
              "max_vcpus": 1,
              "kernel": "/opt/guest/vmlinuz",
              "ramdisk": "/opt/guest/initrd.img",
              "cmdline": "console=ttyS0 quiet",
              "on_power_off": "Destroy",
              "on_reboot": "Restart",
              "on_crash": "Destroy",
              "disks": [],
              "vifs": []
            }
            """;
        var mine = DomainSpecJson.Deserialize(json, "spec.json");
        var theirs = JsonSerializer.Deserialize(json, DomainSpecJsonContext.Default.DomainSpec)!;
        Assert.Equal(Reference(theirs with { Channels = [] }), DomainSpecJson.Serialize(mine));
        Assert.False(mine.Rng);
        Assert.Equal(AccelMode.Auto, mine.Accel);
        Assert.Empty(mine.Channels);
    }

    [Fact]
    public void Deserialize_OnlyRequiredMembers_ValueTypesAsTheSerializer_ReferencesNeverNull()
    {
        const string json = """{"name": "x", "memory_mib": 1, "kernel": "/k", "vifs": [{"mac": "m", "if_name": "i"}]}""";
        var mine = DomainSpecJson.Deserialize(json, "spec.json");
        var theirs = JsonSerializer.Deserialize(json, DomainSpecJsonContext.Default.DomainSpec)!;
        var theirsVif = theirs.Vifs[0] with { Bridge = "xenbr0" };
        Assert.Equal(Reference(theirs with { Cmdline = "", Disks = [], Channels = [], Vifs = [theirsVif] }), DomainSpecJson.Serialize(mine));
        Assert.Equal(Guid.Empty, mine.Uuid);
        Assert.Equal(0, mine.Vcpus);
        Assert.Equal(LifecycleAction.Destroy, mine.OnReboot);
    }

    [Fact]
    public void Deserialize_SkipsUnknownMembers_AndReadsEnumsInAnyCaseOrByNumber()
    {
        const string json = """
            {"future": {"a": [1, {"b": null}]}, "name": "x", "memory_mib": 64, "kernel": "/k",
             "on_reboot": "renamerestart", "on_crash": 4, "accel": "KVM",
             "disks": [{"path": "/d", "vdev": "xvda", "extra": [true]}], "more": "x"}
            """;
        var spec = DomainSpecJson.Deserialize(json, "spec.json");
        Assert.Equal("x", spec.Name);
        Assert.Equal(LifecycleAction.RenameRestart, spec.OnReboot);
        Assert.Equal(LifecycleAction.CoredumpDestroy, spec.OnCrash);
        Assert.Equal(AccelMode.Kvm, spec.Accel);
        Assert.Equal("/d", Assert.Single(spec.Disks).Path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"memory_mib\": 1, \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": \"x\", \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1}")]
    [InlineData("{\"name\": 5, \"memory_mib\": 1, \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": null, \"memory_mib\": 1, \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": -1, \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1.5, \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": \"1\", \"kernel\": \"/k\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"domid\": 99999999999}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"uuid\": \"nope\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"on_crash\": \"explode\"}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"accel\": true}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"rng\": 1}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"disks\": {}}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"disks\": [{\"path\": \"/d\"}]}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"vifs\": [{\"mac\": \"m\"}]}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"channels\": [3]}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\"} {}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\",}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\" // c\n}")]
    [InlineData("{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\"")]
    public void Deserialize_Malformed_IsInvalidDataNamingTheSource(string json)
    {
        var e = Assert.Throws<InvalidDataException>(() => DomainSpecJson.Deserialize(json, "/run/xenon/d/spec.json"));
        Assert.StartsWith("/run/xenon/d/spec.json: ", e.Message);
    }

    [Fact]
    public void Deserialize_NullDocument_IsAnEmptySpec()
    {
        var e = Assert.Throws<InvalidDataException>(() => DomainSpecJson.Deserialize("null", "f"));
        Assert.Equal("f: empty domain spec", e.Message);
    }

    [Fact]
    public void Deserialize_DeepNesting_IsRefusedNotACrash()
    {
        var json = "{\"name\": \"x\", \"memory_mib\": 1, \"kernel\": \"/k\", \"z\": " + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Throws<InvalidDataException>(() => DomainSpecJson.Deserialize(json, "f"));
    }
}
