using System.Text.Json;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public sealed class DomainConfigJsonTests : IDisposable
{
    private readonly TempConfigDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private DomainConfig Load(string text) =>
        DomainConfigReader.Load(_dir.File("dom.cfg", text), [], checkFiles: false);

    [Fact]
    public void MatchesLibxlDomainConfigShapeAndOrder()
    {
        var d = Load("""
            name = "web"
            uuid = "01234567-89ab-cdef-0123-456789abcdef"
            memory = 256
            maxmem = 512
            vcpus = 2
            maxvcpus = 3
            kernel = "/k/vmlinuz"
            ramdisk = "/k/initrd"
            root = "/dev/vda"
            extra = "console=ttyS0"
            on_reboot = "rename-restart"
            on_crash = "coredump-destroy"
            """);

        var expected = """
            {
                "c_info": {
                    "type": "pvh",
                    "name": "web",
                    "uuid": "01234567-89ab-cdef-0123-456789abcdef"
                },
                "b_info": {
                    "max_vcpus": 3,
                    "avail_vcpus": [
                        0,
                        1
                    ],
                    "max_memkb": 524288,
                    "target_memkb": 262144,
                    "kernel": "/k/vmlinuz",
                    "cmdline": "root=/dev/vda console=ttyS0",
                    "ramdisk": "/k/initrd",
                    "type.pvh": {}
                },
                "on_poweroff": "destroy",
                "on_reboot": "restart_rename",
                "on_crash": "coredump_destroy"
            }
            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), DomainConfigJson.ToJson(d).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void RoundTripsThroughAJsonParser()
    {
        var d = Load("""
            name = "quote-1"
            type = "hvm"
            kernel = "/k/été <dir>/vmlinuz"
            cmdline = "a\tb \\ c"
            pool = "Pool-0"
            cpu_weight = 256
            cap = 0
            """);
        var json = DomainConfigJson.ToJson(d);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        Assert.Equal(["c_info", "b_info", "on_poweroff", "on_reboot", "on_crash"], root.EnumerateObject().Select(p => p.Name));
        var c = root.GetProperty("c_info");
        Assert.Equal("hvm", c.GetProperty("type").GetString());
        Assert.Equal(d.Name, c.GetProperty("name").GetString());
        Assert.Equal(d.Uuid, Guid.Parse(c.GetProperty("uuid").GetString()!));
        Assert.Equal("Pool-0", c.GetProperty("pool_name").GetString());

        var b = root.GetProperty("b_info");
        Assert.Equal(d.Kernel, b.GetProperty("kernel").GetString());
        Assert.Equal("a\tb \\ c", b.GetProperty("cmdline").GetString());
        Assert.False(b.TryGetProperty("ramdisk", out _), json);
        Assert.Empty(b.GetProperty("type.hvm").EnumerateObject());
        Assert.False(b.TryGetProperty("type.pvh", out _), json);
        Assert.Equal(256, b.GetProperty("sched_params").GetProperty("weight").GetInt32());
        Assert.Equal(0, b.GetProperty("sched_params").GetProperty("cap").GetInt32());
        Assert.Equal([0], b.GetProperty("avail_vcpus").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(128 * 1024, b.GetProperty("max_memkb").GetInt64());
    }

    [Fact]
    public void NonAsciiIsWrittenReadably()
    {
        var d = Load("name='a'\nkernel='/k/\u00e9t\u00e9'\n");
        Assert.Contains("\"kernel\": \"/k/\u00e9t\u00e9\"", DomainConfigJson.ToJson(d), StringComparison.Ordinal);
    }
}
