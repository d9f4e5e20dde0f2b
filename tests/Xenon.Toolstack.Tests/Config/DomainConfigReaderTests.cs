using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public sealed class DomainConfigReaderTests : IDisposable
{
    private readonly TempConfigDir _dir = new();
    private readonly string _kernel;

    public DomainConfigReaderTests()
    {
        _kernel = _dir.File("boot/vmlinuz", "not really a kernel");
    }

    public void Dispose() => _dir.Dispose();

    private DomainConfig Load(string text, params string[] overrides)
    {
        var path = _dir.File("dom.cfg", text);
        return DomainConfigReader.Load(path, overrides);
    }

    private string Fails(string text, params string[] overrides)
    {
        var path = _dir.File("dom.cfg", text);
        return Assert.Throws<ConfigException>(() => DomainConfigReader.Load(path, overrides)).Message
            .Replace(path, "dom.cfg", StringComparison.Ordinal)
            .Replace(_dir.Path, "<dir>", StringComparison.Ordinal);
    }

    [Fact]
    public void MinimalConfigGetsXlDefaults()
    {
        var d = Load("name = 'web'\nkernel = 'boot/vmlinuz'\n");
        Assert.Equal("web", d.Name);
        Assert.Equal(DomainType.Pvh, d.Type);
        Assert.Equal(128, d.MemoryMiB);
        Assert.Equal(128, d.MaxMemoryMiB);
        Assert.Equal(128 * 1024, d.MemoryKiB);
        Assert.Equal(1, d.Vcpus);
        Assert.Equal(1, d.MaxVcpus);
        Assert.Equal(_kernel, d.Kernel);
        Assert.Null(d.Ramdisk);
        Assert.Null(d.Cmdline);
        Assert.Equal(ShutdownAction.Destroy, d.OnPoweroff);
        Assert.Equal(ShutdownAction.Restart, d.OnReboot);
        Assert.Equal(ShutdownAction.Destroy, d.OnCrash);
        Assert.True(d.UuidGenerated);
        Assert.Equal(4, d.Uuid.Version);
        Assert.Empty(d.Disks);
        Assert.Empty(d.Vifs);
        Assert.Null(d.Cpus);
        Assert.Empty(d.Warnings);
        Assert.Equal(_dir.Path + "/dom.cfg", d.Source);
    }

    [Fact]
    public void FullConfigIsReadIntoEveryField()
    {
        var initrd = _dir.File("initrd.img");
        var image = _dir.File("db.img");
        var d = Load($"""
            name = "db-1"
            type = "hvm"
            uuid = "01234567-89AB-cdef-0123-456789abcdef"
            memory = 0x200
            maxmem = 1024
            vcpus = 2
            maxvcpus = 4
            kernel = "{_kernel}"
            ramdisk = "initrd.img"
            cmdline = "console=ttyS0 quiet"
            on_poweroff = "preserve"
            on_reboot = "rename-restart"
            on_crash = "coredump-restart"
            disk = [ 'file:{image},xvda,w' ]
            vif = [ 'bridge=br0', 'bridge=br1,mac=00:16:3e:00:00:01' ]
            cpus = "0-3,^1"
            pool = "Pool-0"
            cpu_weight = 512
            cap = 50
            """);
        Assert.Equal("db-1", d.Name);
        Assert.Equal(DomainType.Hvm, d.Type);
        Assert.Equal(Guid.Parse("01234567-89ab-cdef-0123-456789abcdef"), d.Uuid);
        Assert.False(d.UuidGenerated);
        Assert.Equal(512, d.MemoryMiB);
        Assert.Equal(1024, d.MaxMemoryMiB);
        Assert.Equal(2, d.Vcpus);
        Assert.Equal(4, d.MaxVcpus);
        Assert.Equal(initrd, d.Ramdisk);
        Assert.Equal("console=ttyS0 quiet", d.Cmdline);
        Assert.Equal(ShutdownAction.Preserve, d.OnPoweroff);
        Assert.Equal(ShutdownAction.RenameRestart, d.OnReboot);
        Assert.Equal(ShutdownAction.CoredumpRestart, d.OnCrash);
        var disk = Assert.Single(d.Disks);
        Assert.Equal(image, disk.Target);
        Assert.Equal("xvda", disk.Vdev.Name);
        Assert.False(disk.ReadOnly);
        Assert.Equal(["br0", "br1"], d.Vifs.Select(v => v.Bridge));
        Assert.Equal("00:16:3e:00:00:01", XlVifSpec.FormatMac(d.Vifs[1].Mac));
        Assert.Equal("0-3,^1", d.Cpus!.Text);
        Assert.Equal("Pool-0", d.Pool);
        Assert.Equal(512, d.CpuWeight);
        Assert.Equal(50, d.Cap);
        Assert.Empty(d.Warnings);
    }

    [Theory]
    [InlineData("root = '/dev/xvda1'\nextra = 'console=hvc0'", "root=/dev/xvda1 console=hvc0")]
    [InlineData("root = '/dev/xvda1'", "root=/dev/xvda1")]
    [InlineData("extra = 'console=hvc0'", "console=hvc0")]
    [InlineData("cmdline = 'quiet'", "quiet")]
    public void CmdlineIsBuiltAsXlBuildsIt(string lines, string expected)
    {
        var d = Load("name='a'\nkernel='boot/vmlinuz'\n" + lines);
        Assert.Equal(expected, d.Cmdline);
        Assert.Empty(d.Warnings);
    }

    [Fact]
    public void CmdlineWinsOverRootAndExtraWithAWarning()
    {
        var d = Load("name='a'\nkernel='boot/vmlinuz'\nroot='/dev/sda'\ncmdline='quiet'\n");
        Assert.Equal("quiet", d.Cmdline);
        var w = Assert.Single(d.Warnings);
        Assert.Equal($"{_dir.Path}/dom.cfg:4: warning: ignoring root= and extra= in favour of cmdline=", w.ToString());
    }

    [Fact]
    public void UnknownKeysWarnOncePerKeyWithFileAndLine()
    {
        var d = Load("name='a'\nkernel='boot/vmlinuz'\nvnc = 1\nserial = 'pty'\nvnc = 0\n");
        Assert.Equal(
            [$"{_dir.Path}/dom.cfg:5: warning: unknown key 'vnc' ignored", $"{_dir.Path}/dom.cfg:4: warning: unknown key 'serial' ignored"],
            d.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void OverridesWinAndRelativePathsFromTheCommandLineUseTheCurrentDirectory()
    {
        var d = Load("name='a'\nkernel='boot/vmlinuz'\nmemory=256\nextra='console=hvc0'\n",
            "memory=512", "extra+=\" quiet\"", $"ramdisk=\"{Path.GetRelativePath(Environment.CurrentDirectory, _kernel)}\"");
        Assert.Equal(512, d.MemoryMiB);
        Assert.Equal(512, d.MaxMemoryMiB);
        Assert.Equal("console=hvc0 quiet", d.Cmdline);
        Assert.Equal(_kernel, d.Ramdisk);
    }

    [Fact]
    public void RelativeKernelIsResolvedAgainstTheConfigFilesDirectoryNotTheCurrentOne()
    {
        var sub = _dir.File("vms/sub.cfg", "name='a'\nkernel='../boot/vmlinuz'\n");
        var d = DomainConfigReader.Load(sub, []);
        Assert.Equal(_kernel, d.Kernel);
    }

    [Fact]
    public void FileChecksCanBeDeferred()
    {
        var path = _dir.File("dom.cfg", "name='a'\nkernel='nope'\n");
        var d = DomainConfigReader.Load(path, [], checkFiles: false);
        Assert.Equal(_dir.Path + "/nope", d.Kernel);
    }

    [Fact]
    public void BuilderHvmIsTheOldSpellingOfTypeHvm()
    {
        Assert.Equal(DomainType.Hvm, Load("name='a'\nkernel='boot/vmlinuz'\nbuilder='hvm'\n").Type);
        Assert.Equal(DomainType.Hvm, Load("name='a'\nkernel='boot/vmlinuz'\nbuilder='hvm'\ntype='hvm'\n").Type);
    }

    [Theory]
    [InlineData("", "dom.cfg: the configuration is empty; it must at least set name and kernel")]
    [InlineData("# only a comment\n", "dom.cfg: the configuration is empty; it must at least set name and kernel")]
    [InlineData("kernel='boot/vmlinuz'", "dom.cfg: name: missing: every domain needs a name")]
    [InlineData("name='a'", "dom.cfg: kernel: missing: Xenon boots the guest kernel directly; set kernel = \"/path/to/vmlinuz\"")]
    [InlineData("name='a'\nkernel='missing/vmlinuz'", "dom.cfg:2: kernel: cannot read <dir>/missing/vmlinuz: no such file")]
    [InlineData("name='a'\nkernel='boot'", "dom.cfg:2: kernel: cannot read <dir>/boot: is a directory")]
    [InlineData("name='a'\nkernel=''", "dom.cfg:2: kernel: must not be empty")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nramdisk='no.img'", "dom.cfg:3: ramdisk: cannot read <dir>/no.img: no such file")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nmemory='lots'", "dom.cfg:3: memory: expected a number, got \"lots\"")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nmemory=512M", "dom.cfg:3: memory: expected a number, got \"512M\"")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nmemory=0", "dom.cfg:3: memory: must be between 1 and 4194304, got 0")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nmemory='-5'", "dom.cfg:3: memory: must be between 1 and 4194304, got -5")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nmemory=512\nmaxmem=256", "dom.cfg:4: maxmem: maxmem (256 MiB) is less than memory (512 MiB)")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nvcpus=4\nmaxvcpus=2", "dom.cfg:4: maxvcpus: maxvcpus (2) is less than vcpus (4)")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nvcpus=0", "dom.cfg:3: vcpus: must be between 1 and 255, got 0")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nvcpus=256", "dom.cfg:3: vcpus: must be between 1 and 255, got 256")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\non_crash='reboot'", "dom.cfg:3: on_crash: unknown action \"reboot\"; expected one of destroy, restart, rename-restart, preserve, coredump-destroy, coredump-restart, soft-reset")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\non_poweroff=[]", "dom.cfg:3: on_poweroff: expected a single value, got a list")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nuuid='not-a-uuid'", "dom.cfg:3: uuid: expected a UUID like 01234567-89ab-cdef-0123-456789abcdef, got \"not-a-uuid\"")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nuuid='0123456789abcdef0123456789abcdef'", "dom.cfg:3: uuid: expected a UUID like 01234567-89ab-cdef-0123-456789abcdef, got \"0123456789abcdef0123456789abcdef\"")]
    [InlineData("name='a/b'\nkernel='boot/vmlinuz'", "dom.cfg:1: name: \"a/b\" contains '/'; allowed are letters, digits and - _ . + : @")]
    [InlineData("name='a b'", "dom.cfg:1: name: \"a b\" contains ' '; allowed are letters, digits and - _ . + : @")]
    [InlineData("name=''", "dom.cfg:1: name: must not be empty")]
    [InlineData("name='-x'", "dom.cfg:1: name: \"-x\" must not start with '-'")]
    [InlineData("name='.x'", "dom.cfg:1: name: \".x\" must not start with '.'")]
    [InlineData("name=42", "dom.cfg:1: name: \"42\" is all digits, which would read as a domain id")]
    [InlineData("name='Domain-0'", "dom.cfg:1: name: \"Domain-0\" is the host's name")]
    [InlineData("name='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", "dom.cfg:1: name: must be at most 64 characters, got 65")]
    [InlineData("name='a'\ntype='pv'", "dom.cfg:2: type: PV guests are not supported: Xenon runs guests as PVH or HVM with PV (virtio) drivers; use type = \"pvh\"")]
    [InlineData("name='a'\ntype='h'", "dom.cfg:2: type: unknown domain type \"h\"; expected \"pvh\" or \"hvm\"")]
    [InlineData("name='a'\nbuilder='generic'", "dom.cfg:2: builder: builder = \"generic\" means a PV guest, which Xenon does not support; use type = \"pvh\"")]
    [InlineData("name='a'\ntype='pvh'\nbuilder='hvm'", "dom.cfg:3: builder: contradicts the type setting")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\ndisk='file:/x'", "dom.cfg:3: disk: expected a list [ ... ], got a single value")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\ncpu_weight=0", "dom.cfg:3: cpu_weight: must be between 1 and 65535, got 0")]
    [InlineData("name='a'\nkernel='boot/vmlinuz'\nmemory=256\nmemory+=1", "dom.cfg:4: memory: can't use += with numbers")]
    public void InvalidConfigsFailWithExactMessages(string text, string expected)
    {
        Assert.Equal(expected, Fails(text));
    }

    [Fact]
    public void OverrideThatBreaksARuleIsBlamedOnTheCommandLine()
    {
        Assert.Equal("<command line>:2: maxmem: maxmem (64 MiB) is less than memory (256 MiB)",
            Fails("name='a'\nkernel='boot/vmlinuz'\nmemory=256\n", "vcpus=1", "maxmem=64"));
        Assert.Equal("<command line>:1: memory: expected a number, got \"big\"",
            Fails("name='a'\nkernel='boot/vmlinuz'\n", "memory=\"big\""));
    }

    [Fact]
    public void EmptyFileWithOverridesIsReadFromTheOverrides()
    {
        var d = Load("", "name='x'", $"kernel='{_kernel}'");
        Assert.Equal("x", d.Name);
        Assert.Equal(_kernel, d.Kernel);
    }

    [Fact]
    public void ChannelsAndRngAreRead()
    {
        var d = Load("name='a'\nkernel='boot/vmlinuz'\nchannel = [ 'name=org.x.0, connection=socket, path=run/x.sock' ]\nrng = 0\n".Replace("run/", _dir.Path + "/", StringComparison.Ordinal));
        var c = Assert.Single(d.Channels);
        Assert.Equal("org.x.0", c.Name);
        Assert.Equal(Path.Combine(_dir.Path, "x.sock"), c.Path);
        Assert.False(d.Rng);
        Assert.True(Load("name='a'\nkernel='boot/vmlinuz'\n").Rng);
    }

    [Theory]
    [InlineData("channel = [ 'name=x, connection=socket, path=/tmp/a.sock', 'name=x, connection=socket, path=/tmp/b.sock' ]", "channel: entry 2: channel name x is used twice")]
    [InlineData("channel = [ 'name=x, connection=socket, path=/tmp/a.sock', 'name=y, connection=socket, path=/tmp/a.sock' ]", "channel: entry 2 (y): path /tmp/a.sock is used by another channel")]
    [InlineData("channel = [ 'name=x, connection=socket, path=/no/such/dir/a.sock' ]", "channel: entry 1 (x): path /no/such/dir/a.sock: directory /no/such/dir does not exist")]
    [InlineData("channel = [ 'name=x, connection=pty' ]", "channel: entry 1: channel \"name=x, connection=pty\": connection=pty is not supported")]
    [InlineData("rng = 2", "rng")]
    public void BadChannelsAndRngAreRefusedByName(string line, string expected) =>
        Assert.Contains(expected, Fails("name='a'\nkernel='boot/vmlinuz'\n" + line + "\n"), StringComparison.Ordinal);
}
