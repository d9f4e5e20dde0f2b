using Xenon.Domain;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public sealed class DomainSpecFactoryTests : IDisposable
{
    private readonly TempConfigDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ConfigMapsToTheDomainSpec()
    {
        _dir.File("vmlinuz", "k");
        _dir.File("a.img", "a");
        _dir.File("c.iso", "c");
        var config = DomainConfigReader.Load(_dir.File("d.cfg", """
            name = "m"
            kernel = "vmlinuz"
            memory = 300
            vcpus = 2
            extra = "quiet"
            on_crash = "preserve"
            disk = [ 'vdev=hdc, devtype=cdrom, target=c.iso', 'a.img,raw,xvda,rw' ]
            """), []);
        var spec = DomainSpecFactory.FromConfig(config, 5);
        Assert.Equal("m", spec.Name);
        Assert.Equal(5, spec.DomId);
        Assert.Equal(300ul, spec.MemoryMiB);
        Assert.Equal(2, spec.Vcpus);
        Assert.Equal("quiet", spec.Cmdline);
        Assert.Equal(LifecycleAction.Preserve, spec.OnCrash);
        Assert.Equal(
            [new DiskSpec { Path = Path.Combine(_dir.Path, "a.img"), Vdev = "xvda" },
             new DiskSpec { Path = Path.Combine(_dir.Path, "c.iso"), Vdev = "hdc", ReadOnly = true }],
            spec.Disks);
    }

    [Fact]
    public void DirectIoSafeAsksForADirectDisk()
    {
        _dir.File("vmlinuz", "k");
        _dir.File("a.img", "a");
        _dir.File("b.img", "b");
        var config = DomainConfigReader.Load(_dir.File("d.cfg", """
            name = "m"
            kernel = "vmlinuz"
            disk = [ 'format=raw, vdev=xvda, access=rw, direct-io-safe, target=a.img', 'b.img,raw,xvdb,rw' ]
            """), []);
        var disks = DomainSpecFactory.FromConfig(config, 1).Disks;
        Assert.True(disks[0].DirectIo, "xvda has direct-io-safe");
        Assert.False(disks[1].DirectIo, "xvdb does not");
    }
}
