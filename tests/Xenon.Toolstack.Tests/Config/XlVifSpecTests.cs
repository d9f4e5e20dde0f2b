using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public sealed class XlVifSpecTests
{
    [Fact]
    public void EmptySpecGetsXlDefaults()
    {
        var v = XlVifSpec.Parse("");
        Assert.Null(v.Mac);
        Assert.Equal("xenbr0", v.Bridge);
        Assert.Null(v.Script);
        Assert.Null(v.VifName);
        Assert.Null(v.Mtu);
    }

    [Fact]
    public void EveryKeyIsRead()
    {
        var v = XlVifSpec.Parse("mac=00:16:3E:74:3d:76, bridge=br1,vifname=web0, script=/etc/xen/scripts/vif-custom, mtu=9000, ip=10.0.0.2, model=virtio");
        Assert.Equal("00:16:3e:74:3d:76", XlVifSpec.FormatMac(v.Mac));
        Assert.Equal("br1", v.Bridge);
        Assert.Equal("web0", v.VifName);
        Assert.Equal("/etc/xen/scripts/vif-custom", v.Script);
        Assert.Equal(9000, v.Mtu);
        Assert.Equal("10.0.0.2", v.Ip);
        Assert.Equal("virtio", v.Model);
    }

    [Fact]
    public void KnownButInertKeysAreReportedAsIgnored() =>
        Assert.Equal(["type", "rate"], XlVifSpec.Parse("type=vif, rate=10Mb/s, bridge=br0").Ignored);

    [Theory]
    [InlineData("mac=00:16:3e:00:00", "mac: expected six hex pairs")]
    [InlineData("mac=00:16:3e:00:00:zz", "mac: expected six hex pairs")]
    [InlineData("mac=01:16:3e:00:00:01", "multicast")]
    [InlineData("bridge=", "bridge: an interface name has 1 to 15 characters")]
    [InlineData("vifname=a-very-long-interface", "vifname: an interface name has 1 to 15 characters")]
    [InlineData("vifname=a/b", "is not a valid interface name")]
    [InlineData("mtu=12", "mtu: expected a number from 68 to 65535")]
    [InlineData("mtu=lots", "mtu: expected a number")]
    [InlineData("colour=blue", "colour: unknown key")]
    [InlineData("bridge", "bridge: expected key=value")]
    [InlineData("bridge=a,bridge=b", "bridge: given twice")]
    [InlineData("script=", "script: must not be empty")]
    public void MalformedSpecsSayWhatIsWrong(string spec, string expected)
    {
        var e = Assert.Throws<FormatException>(() => XlVifSpec.Parse(spec));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"vif spec \"{spec}\": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedMacsAreXenUnicastAndDiffer()
    {
        var a = XlVifSpec.RandomXenMac();
        var b = XlVifSpec.RandomXenMac();
        Assert.Equal(new byte[] { 0x00, 0x16, 0x3e }, a[..3]);
        Assert.True(a[3] < 0x80);
        Assert.False(a.AsSpan().SequenceEqual(b) && XlVifSpec.RandomXenMac().AsSpan().SequenceEqual(a));
    }

    [Fact]
    public void ConfigGivesEveryVifAMacAndWarnsAboutInertKeys()
    {
        var dir = Directory.CreateTempSubdirectory("xenon-vif-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "k"), "k");
            string cfg = Path.Combine(dir.FullName, "d.cfg");
            File.WriteAllText(cfg, "name='d'\nkernel='k'\nvif = [ '', 'model=e1000, rate=1Mb/s' ]\n");
            var c = DomainConfigReader.Load(cfg, []);
            Assert.Equal(2, c.Vifs.Count);
            Assert.All(c.Vifs, v => Assert.Equal(new byte[] { 0x00, 0x16, 0x3e }, v.Mac![..3]));
            Assert.Contains(c.Warnings, w => w.ToString().Contains("model=e1000: Xenon provides virtio-net only", StringComparison.Ordinal));
            Assert.Contains(c.Warnings, w => w.ToString().Contains("vif entry 2: rate= has no effect", StringComparison.Ordinal));
            var spec = DomainSpecFactory.FromConfig(c, 3);
            Assert.Equal(["vif3.0", "vif3.1"], spec.Vifs.Select(v => v.IfName));
            Assert.Equal(XlVifSpec.FormatMac(c.Vifs[0].Mac), spec.Vifs[0].Mac);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
