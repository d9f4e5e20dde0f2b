using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

/// <summary>disk = [...] in an xl.cfg: parsed entries, paths, checks on the target, order, and the errors.</summary>
public sealed class DomainConfigDiskTests : IDisposable
{
    private readonly TempConfigDir _dir = new();

    public DomainConfigDiskTests()
    {
        _dir.File("vmlinuz", "k");
        _dir.File("a.img", "aaaa");
        _dir.File("b.img", "bbbb");
    }

    public void Dispose() => _dir.Dispose();

    private DomainConfig Load(string disks, params string[] overrides) =>
        DomainConfigReader.Load(_dir.File("dom.cfg", $"name='d'\nkernel='vmlinuz'\ndisk = {disks}\n"), overrides);

    private string Fails(string disks)
    {
        var path = _dir.File("dom.cfg", $"name='d'\nkernel='vmlinuz'\n\ndisk = {disks}\n");
        return Assert.Throws<ConfigException>(() => DomainConfigReader.Load(path, [])).Message
            .Replace(path, "dom.cfg", StringComparison.Ordinal)
            .Replace(_dir.Path, "<dir>", StringComparison.Ordinal);
    }

    [Fact]
    public void KeywordAndPositionalEntriesAreParsedAndSortedByVdev()
    {
        var d = Load("[ 'b.img,raw,xvdb,ro', 'format=raw, vdev=xvda, access=rw, target=a.img' ]");
        Assert.Equal(2, d.Disks.Count);
        Assert.Equal("xvda", d.Disks[0].Vdev.Name);
        Assert.Equal(Path.Combine(_dir.Path, "a.img"), d.Disks[0].Target);
        Assert.False(d.Disks[0].ReadOnly);
        Assert.Equal("xvdb", d.Disks[1].Vdev.Name);
        Assert.True(d.Disks[1].ReadOnly);
    }

    [Fact]
    public void RelativeTargetsAreRelativeToTheConfigFile()
    {
        var d = Load("[ 'vdev=xvda, target=a.img' ]");
        Assert.Equal(Path.Combine(_dir.Path, "a.img"), Assert.Single(d.Disks).Target);
    }

    [Fact]
    public void CdromIsReadOnly()
    {
        var d = Load("[ 'vdev=hdc, devtype=cdrom, target=a.img' ]");
        Assert.True(Assert.Single(d.Disks).ReadOnly);
    }

    [Fact]
    public void MissingTargetIsAnErrorNamingTheEntryAndPath() =>
        Assert.Equal("dom.cfg:4: disk: entry 1 (xvda): target <dir>/missing.img: no such file",
            Fails("[ 'vdev=xvda, target=missing.img' ]"));

    [Fact]
    public void DirectoryTargetIsAnError() =>
        Assert.Equal("dom.cfg:4: disk: entry 1 (xvda): target <dir>/sub: is a directory",
            Fails($"[ 'vdev=xvda, target={Directory.CreateDirectory(Path.Combine(_dir.Path, "sub")).FullName}' ]"));

    [Fact]
    public void MalformedSpecIsAnErrorQuotingTheSpec() =>
        Assert.StartsWith("dom.cfg:4: disk: entry 2: disk spec \"vdev=nonsense, target=b.img\": ",
            Fails("[ 'vdev=xvda, target=a.img', 'vdev=nonsense, target=b.img' ]"), StringComparison.Ordinal);

    [Fact]
    public void TwoEntriesForTheSameDiskAreAnError() =>
        Assert.Equal("dom.cfg:4: disk: entry 2: vdev d0 names the same disk as xvda",
            Fails("[ 'vdev=xvda, target=a.img', 'vdev=d0, target=b.img' ]"));

    [Fact]
    public void EmptyCdromIsRefusedClearly() =>
        Assert.Contains("an empty CD-ROM drive is not supported", Fails("[ 'vdev=hdc, devtype=cdrom, target=' ]"), StringComparison.Ordinal);

    [Fact]
    public void BlockScriptsAreRefusedClearly() =>
        Assert.Contains("script= block scripts are not supported", Fails("[ 'vdev=xvda, script=block-iscsi, target=a.img' ]"), StringComparison.Ordinal);

    [Fact]
    public void DiskMustBeAList() =>
        Assert.Contains("disk", Fails("'vdev=xvda, target=a.img'"), StringComparison.Ordinal);
}
