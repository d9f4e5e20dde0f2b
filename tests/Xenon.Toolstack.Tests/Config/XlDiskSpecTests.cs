using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

/// <summary>xl-disk-configuration(5): the man page's examples, vdev names, malformed specs, and random input.</summary>
public sealed class XlDiskSpecTests
{
    [Theory]
    [InlineData("/dev/vg/guest-volume,,hda")]
    [InlineData("/dev/vg/guest-volume,raw,hda,rw")]
    [InlineData("format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume")]
    [InlineData("raw:/dev/vg/guest-volume,hda,w")]
    public void ManPageDiskExamplesAreEquivalent(string text)
    {
        var spec = XlDiskSpec.Parse(text);
        Assert.Equal("/dev/vg/guest-volume", spec.Target);
        Assert.Equal("hda", spec.Vdev.Name);
        Assert.Equal(XlVdevBus.Ide, spec.Vdev.Bus);
        Assert.Equal(0, spec.Index);
        Assert.False(spec.ReadOnly);
        Assert.Equal(XlDiskFormat.Raw, spec.Format);
        Assert.Equal(XlDiskDeviceType.Disk, spec.DeviceType);
    }

    [Theory]
    [InlineData("/root/image.iso,,hdc,cdrom")]
    [InlineData("/root/image.iso,,hdc,,cdrom")]
    [InlineData("/root/image.iso,raw,hdc,devtype=cdrom")]
    [InlineData("format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso")]
    [InlineData("raw:/root/image.iso,hdc:cdrom,ro")]
    public void ManPageCdromExamplesAreEquivalentAndReadOnly(string text)
    {
        var spec = XlDiskSpec.Parse(text);
        Assert.Equal("/root/image.iso", spec.Target);
        Assert.Equal(2, spec.Index);
        Assert.True(spec.ReadOnly);
        Assert.Equal(XlDiskDeviceType.Cdrom, spec.DeviceType);
    }

    [Fact]
    public void XendEmptyCdromFormHasNoTarget()
    {
        var spec = XlDiskSpec.Parse(",hdc:cdrom,r");
        Assert.Equal("", spec.Target);
        Assert.Equal(2, spec.Index);
        Assert.True(spec.ReadOnly);
        Assert.Equal(XlDiskDeviceType.Cdrom, spec.DeviceType);
    }

    [Fact]
    public void NamedFormsFromTheTaskAndDefaults()
    {
        var spec = XlDiskSpec.Parse("format=raw, vdev=xvda, access=rw, target=/path/disk.img");
        Assert.Equal("/path/disk.img", spec.Target);
        Assert.Equal(0, spec.Index);
        Assert.False(spec.ReadOnly);
        Assert.True(spec.Discard);
        Assert.False(spec.DirectIoSafe);
        Assert.Null(spec.Script);
        Assert.Null(spec.BackendType);
        Assert.Null(spec.Backend);
    }

    [Fact]
    public void TargetConsumesTheRestIncludingCommasEqualsAndTrailingSpaces()
    {
        var spec = XlDiskSpec.Parse("vdev=xvdb, access=ro, target=/srv/a,b=c.img  ");
        Assert.Equal("/srv/a,b=c.img  ", spec.Target);
        Assert.Equal(1, spec.Index);
        Assert.True(spec.ReadOnly);
    }

    [Fact]
    public void NamedTargetMayFollowAnEmptyPositionalTarget()
    {
        var spec = XlDiskSpec.Parse(",,xvdc,ro,target=/x,y");
        Assert.Equal("/x,y", spec.Target);
        Assert.Equal(2, spec.Index);
    }

    [Fact]
    public void PositionalsSkipParametersAlreadyGivenByName()
    {
        var spec = XlDiskSpec.Parse("vdev=xvdd,/img,raw,r");
        Assert.Equal("/img", spec.Target);
        Assert.Equal(3, spec.Index);
        Assert.True(spec.ReadOnly);
    }

    [Fact]
    public void DeprecatedPrefixesAreStrippedAndScriptsKept()
    {
        var file = XlDiskSpec.Parse("file:/a.img,xvda,w");
        Assert.Equal("/a.img", file.Target);
        Assert.False(file.ReadOnly);

        var tap = XlDiskSpec.Parse("tap:aio:/b.img,xvdb,r");
        Assert.Equal("/b.img", tap.Target);
        Assert.True(tap.ReadOnly);

        var nbd = XlDiskSpec.Parse("nbd:host:1234,xvdc,w");
        Assert.Equal("host:1234", nbd.Target);
        Assert.Equal("block-nbd", nbd.Script);

        var colonPath = XlDiskSpec.Parse("/data/a:b.img,,xvda");
        Assert.Equal("/data/a:b.img", colonPath.Target);
    }

    [Fact]
    public void OtherKeysAndFlagsAreKept()
    {
        var spec = XlDiskSpec.Parse("vdev=xvda, backendtype=qdisk, backend=driverdom, script=iscsi, direct-io-safe, no-discard, target=iqn.x");
        Assert.Equal("qdisk", spec.BackendType);
        Assert.Equal("driverdom", spec.Backend);
        Assert.Equal("iscsi", spec.Script);
        Assert.True(spec.DirectIoSafe);
        Assert.False(spec.Discard);
        Assert.Equal("iqn.x", spec.Target);
    }

    [Theory]
    [InlineData("xvda", XlVdevBus.Xvd, 0, 0, 202 << 8)]
    [InlineData("xvdb", XlVdevBus.Xvd, 1, 0, 202 << 8 | 1 << 4)]
    [InlineData("xvdz", XlVdevBus.Xvd, 25, 0, 1 << 28 | 25 << 8)]
    [InlineData("xvdaa", XlVdevBus.Xvd, 26, 0, 1 << 28 | 26 << 8)]
    [InlineData("xvdb2", XlVdevBus.Xvd, 1, 2, 202 << 8 | 1 << 4 | 2)]
    [InlineData("xvdtq37", XlVdevBus.Xvd, 536, 37, 1 << 28 | 536 << 8 | 37)]
    [InlineData("d0", XlVdevBus.Xvd, 0, 0, 202 << 8)]
    [InlineData("d0p0", XlVdevBus.Xvd, 0, 0, 202 << 8)]
    [InlineData("d1p2", XlVdevBus.Xvd, 1, 2, 202 << 8 | 1 << 4 | 2)]
    [InlineData("d536p37", XlVdevBus.Xvd, 536, 37, 1 << 28 | 536 << 8 | 37)]
    [InlineData("sdb3", XlVdevBus.Scsi, 1, 3, 8 << 8 | 1 << 4 | 3)]
    [InlineData("hda", XlVdevBus.Ide, 0, 0, 3 << 8)]
    [InlineData("hdc2", XlVdevBus.Ide, 2, 2, 22 << 8 | 2)]
    [InlineData("hdd", XlVdevBus.Ide, 3, 0, 22 << 8 | 1 << 6)]
    public void VdevNamesFollowXenVbdInterface(string name, XlVdevBus bus, int disk, int partition, int xenNumber)
    {
        Assert.True(XlDiskSpecVdev.TryParse(name, out var vdev, out string reason), reason);
        Assert.Equal(new XlDiskSpecVdev(name, bus, disk, partition), vdev);
        Assert.Equal(xenNumber, vdev!.XenDeviceNumber);
    }

    [Theory]
    [InlineData("", "expected xvd")]
    [InlineData("vda", "expected xvd")]
    [InlineData("xvd", "expected a disk letter")]
    [InlineData("xvdA", "expected a disk letter")]
    [InlineData("hde", "beyond the largest hd disk (3)")]
    [InlineData("sdq", "beyond the largest sd disk (15)")]
    [InlineData("hda64", "hd partitions go up to 63")]
    [InlineData("sda16", "sd partitions go up to 15")]
    [InlineData("xvda256", "expected a partition number")]
    [InlineData("xvda01", "expected a partition number")]
    [InlineData("xvdzzzzz", "beyond the largest xvd disk")]
    [InlineData("d1048576", "disk number must be 0 to 1048575")]
    [InlineData("d1p", "expected a partition number 0 to 255")]
    [InlineData("d1x2", "disk number must be")]
    [InlineData("202", "expected xvd")]
    public void BadVdevNamesSayWhy(string name, string expected)
    {
        Assert.False(XlDiskSpecVdev.TryParse(name, out var vdev, out string reason), $"\"{name}\" parsed as {vdev}");
        Assert.Contains(expected, reason);
    }

    [Theory]
    [InlineData("/a.img,,xvda,x", "access", "disk spec \"/a.img,,xvda,x\": access: expected ro or rw, got \"x\"")]
    [InlineData("/a.img,qcow2,xvda", "format", "disk spec \"/a.img,qcow2,xvda\": format: \"qcow2\" images are not supported yet (only raw)")]
    [InlineData("/a.img,vmdk,xvda", "format", "expected raw, qcow, qcow2, vhd or qed, got \"vmdk\"")]
    [InlineData("format=qed,vdev=xvda,target=/a", "format", "\"qed\" images are not supported yet")]
    [InlineData("/a.img", "vdev", "vdev: missing")]
    [InlineData("/a.img,,", "vdev", "vdev: missing")]
    [InlineData("/a.img,,vda", "vdev", "got \"vda\"")]
    [InlineData("/a.img,,xvda:floppy", "vdev", "expected \"<vdev>:cdrom\"")]
    [InlineData(",,xvda", "target", "target: missing")]
    [InlineData("", "vdev", "vdev: missing")]
    [InlineData("/a,,xvda,rw,extra", null, "too many positional parameters at \"extra\"")]
    [InlineData("/a,,xvda,vdev=xvdb", "vdev", "vdev: given more than once")]
    [InlineData("access=ro,access=rw,/a,,xvda", "access", "given more than once")]
    [InlineData("/a,,xvda,target=/b", "target", "target: given more than once")]
    [InlineData("/a,,hdc,rw,cdrom", "access", "a cdrom is read-only")]
    [InlineData("/a,,xvda,devtype=floppy", "devtype", "expected cdrom, got \"floppy\"")]
    [InlineData("/a,,xvda,backendtype=blktap9", "backendtype", "expected phy, tap, qdisk or standalone")]
    [InlineData("/a,,xvda,colour=blue", null, "unknown parameter \"colour\"")]
    [InlineData("/a,,xvda,colo", "colo", "not supported")]
    [InlineData("/a,,xvda,colo-host=h", "colo-host", "not supported")]
    [InlineData("/a,,xvda,discard,no-discard", "discard", "given more than once")]
    [InlineData("vdev=xvda,target=/a\0b", "target", "NUL")]
    public void MalformedSpecsNameTheProblemAndThePart(string text, string? part, string expected)
    {
        var e = Assert.Throws<XlDiskSpecException>(() => XlDiskSpec.Parse(text));
        Assert.Equal(part, e.Part);
        Assert.Equal(text, e.Spec);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"disk spec \"{text}\": ", e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void NullIsAnArgumentError() => Assert.Throws<ArgumentNullException>(() => XlDiskSpec.Parse(null!));

    private const string Alphabet = ",=:  \t\0/.abcdhpqrswxvz019-_\u00e9";

    [Fact]
    public void RandomStringsOnlyEverRaiseXlDiskSpecException()
    {
        string[] words = ["target=", "vdev=", "format=", "access=", "devtype=", "cdrom", "xvda", "hdc:", "raw:", "tap:", "file:", "ro", "rw", "d1p2", ","];
        var random = new Random(20250301);
        for (int iteration = 0; iteration < 20_000; iteration++)
        {
            var text = new System.Text.StringBuilder();
            int parts = random.Next(0, 12);
            for (int i = 0; i < parts; i++)
            {
                if (random.Next(3) == 0) text.Append(words[random.Next(words.Length)]);
                else text.Append(Alphabet[random.Next(Alphabet.Length)]);
            }
            ParseOrFailCleanly(text.ToString(), iteration);
        }
    }

    [Fact]
    public void MutatedValidSpecsOnlyEverRaiseXlDiskSpecException()
    {
        string[] seeds =
        [
            "/dev/vg/guest-volume,,hda",
            "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso",
            "file:/a.img,xvda,w",
            ",hdc:cdrom,r",
            "raw:/root/image.iso,hdc:cdrom,ro",
            "d536p37,backendtype=phy,target=/x",
        ];
        var random = new Random(7);
        int parsed = 0;
        for (int iteration = 0; iteration < 20_000; iteration++)
        {
            var text = new System.Text.StringBuilder(seeds[random.Next(seeds.Length)]);
            int mutations = random.Next(0, 4);
            for (int m = 0; m < mutations; m++)
            {
                int at = random.Next(text.Length + 1);
                switch (random.Next(3))
                {
                    case 0:
                        text.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                    case 1 when at < text.Length:
                        text.Remove(at, 1);
                        break;
                    case 2 when at < text.Length:
                        text[at] = Alphabet[random.Next(Alphabet.Length)];
                        break;
                }
            }
            if (ParseOrFailCleanly(text.ToString(), iteration)) parsed++;
        }
        Assert.True(parsed > 1000, $"only {parsed} of 20000 mutated specs parsed: the mutations are not reaching the happy path");
    }

    private static bool ParseOrFailCleanly(string text, int iteration)
    {
        try
        {
            var spec = XlDiskSpec.Parse(text);
            Assert.True(spec.Index >= 0, $"iteration {iteration}: \"{text}\" gave index {spec.Index}");
            Assert.True(spec.Target.Length > 0 || spec.DeviceType == XlDiskDeviceType.Cdrom, $"iteration {iteration}: \"{text}\" has no target");
            Assert.True(spec.DeviceType != XlDiskDeviceType.Cdrom || spec.ReadOnly, $"iteration {iteration}: \"{text}\" is a writable cdrom");
            return true;
        }
        catch (XlDiskSpecException)
        {
            return false;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"iteration {iteration}: \"{text}\" threw {e.GetType().Name}: {e.Message}");
            return false;
        }
    }
}
