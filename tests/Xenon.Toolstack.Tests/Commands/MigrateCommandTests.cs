using Xenon.Domain.Migration;
using Xenon.Domain.Process;
using Xenon.Domain.Save;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>xenon migrate / migrate-receive against fake domains and in-memory streams; a real migration is the migrate
/// scenario's (and the orchestration's unit tests are in Xenon.Domain.Tests/Migration).</summary>
public sealed class MigrateCommandTests : IDisposable
{
    private readonly ToolstackFixture _world = new(startStore: false);
    private readonly StringWriter _err = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task MigrateToATcpTargetAsksTheDomainProcessAndWaitsUntilTheDomainHasEnded()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        var ct = TestContext.Current.CancellationToken;
        var ended = Task.Run(async () =>
        {
            while (!_world.ControlLog.Any(l => l.Contains("\"migrate\""))) await Task.Delay(10, ct);
            dir.WriteFile("outcome", "Migrated 6 migrated to tcp:10.0.0.2:8002\n");
        }, ct);
        Assert.Equal(0, MigrateCommand.Run(["-p", "web", "tcp:10.0.0.2:8002"], _err, _world.Context));
        Assert.Equal("web:{\"cmd\":\"migrate\",\"target\":\"tcp:10.0.0.2:8002\",\"paused\":true}", Assert.Single(_world.ControlLog));
        Assert.Contains("domain web migrated", _err.ToString());
        Assert.DoesNotContain("warning", _err.ToString());
        await ended;
    }

    [Fact]
    public async Task MigrateThroughACommandGivesTheDomainProcessARelaySocket()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        var ct = TestContext.Current.CancellationToken;
        var ended = Task.Run(async () =>
        {
            while (!_world.ControlLog.Any(l => l.Contains("\"migrate\""))) await Task.Delay(10, ct);
            dir.WriteFile("outcome", "Migrated 6 migrated\n");
        }, ct);
        // xl's empty -s: HOST is the command.
        Assert.Equal(0, MigrateCommand.Run(["-s", "", "web", "cat > /dev/null"], _err, _world.Context));
        string request = Assert.Single(_world.ControlLog);
        Assert.Contains($"\"target\":\"unix:{dir.Path}/migrate-out.", request);
        Assert.Contains("through: cat > /dev/null", _err.ToString());
        Assert.Empty(Directory.GetFiles(dir.Path, "migrate-out.*")); // the relay socket is gone
        await ended;
    }

    [Theory]
    [InlineData(new string[0], "Usage: xenon migrate")]
    [InlineData(new[] { "web" }, "Usage: xenon migrate")]
    [InlineData(new[] { "web", "h", "more" }, "Usage: xenon migrate")]
    [InlineData(new[] { "-x", "web", "h" }, "unknown option")]
    [InlineData(new[] { "-C", "web.cfg", "web", "h" }, "-C is not supported")]
    [InlineData(new[] { "Domain-0", "h" }, "Domain-0 (the host) cannot be migrated")]
    [InlineData(new[] { "nope", "h" }, "nope is an invalid domain identifier (rc=-6)")]
    public void MigrateRefusesBadArguments(string[] args, string expected)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(1, MigrateCommand.Run(args, _err, _world.Context));
        Assert.Contains(expected, _err.ToString());
        Assert.DoesNotContain(_world.ControlLog, l => l.Contains("migrate"));
    }

    [Theory]
    [InlineData(new[] { "extra" }, "Usage: xenon migrate-receive")]
    [InlineData(new[] { "--listen", "nowhere" }, "--listen needs ADDR:PORT")]
    [InlineData(new[] { "--listen", "example.org:80" }, "--listen needs ADDR:PORT")]
    [InlineData(new[] { "--prepare", "/nonexistent.cfg" }, "--prepare needs --listen")]
    public void MigrateReceiveRefusesBadArguments(string[] args, string expected)
    {
        Assert.Equal(1, MigrateReceiveCommand.Run(args, _err, _world.Context));
        Assert.Contains(expected, _err.ToString());
    }

    [Fact]
    public void APreparedReceiverWhoseConfigurationCannotBeReadNeverListensAndRegistersNothing()
    {
        Assert.Equal(1, MigrateReceiveCommand.Run(["--listen", "127.0.0.1:0", "--prepare", "/nonexistent/guest.cfg"], _err, _world.Context));
        Assert.DoesNotContain("listening", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DomainsDirectory) && Directory.EnumerateDirectories(_world.Context.DomainsDirectory).Any());
    }

    [Fact]
    public void APreparedReceiverTakesTheSameMachineUnderAnotherIdAndUuid()
    {
        var prepared = ToolstackFixture.Spec("web", 3);
        Assert.Null(MigrateReceivePreparation.Mismatch(prepared, ToolstackFixture.Spec("web", 9) with { Cmdline = "quiet" }));
    }

    [Theory]
    [InlineData("name", "the domain is other, this receiver was prepared for web")]
    [InlineData("memory", "memory 512/256 MiB, prepared 128/256")]
    [InlineData("vcpus", "vcpus 2/2, prepared 1/1")]
    [InlineData("disk", "disk 1 is xvdb /tmp/z.img (ro), prepared xvdb /tmp/y.img (ro)")]
    [InlineData("vif", "vif 0 has MAC 00:16:3e:99:99:99, prepared 00:16:3e:01:02:03")]
    [InlineData("disks", "1 disks, prepared 2")]
    public void APreparedReceiverNamesTheSettingASentConfigurationDiffersIn(string what, string expected)
    {
        var prepared = ToolstackFixture.Spec("web", 3);
        var sent = ToolstackFixture.Spec("web", 9);
        sent = what switch
        {
            "name" => sent with { Name = "other" },
            "memory" => sent with { MemoryMiB = 512 },
            "vcpus" => sent with { Vcpus = 2 },
            "disk" => sent with { Disks = [sent.Disks[0], sent.Disks[1] with { Path = "/tmp/z.img" }] },
            "vif" => sent with { Vifs = [sent.Vifs[0] with { Mac = "00:16:3e:99:99:99" }] },
            _ => sent with { Disks = [sent.Disks[0]] },
        };
        Assert.Equal(expected, MigrateReceivePreparation.Mismatch(prepared, sent));
    }

    private static List<MigrationFrame> Frames(MemoryStream output)
    {
        output.Position = 0;
        var frames = new List<MigrationFrame>();
        while (MigrationFraming.Read(output) is { } f) frames.Add(f);
        return frames;
    }

    [Fact]
    public void AReceiverGivenSomethingElseThanAStreamSaysWhyAndRegistersNothing()
    {
        var output = new MemoryStream();
        int rc = MigrateReceiveCommand.Receive(new MemoryStream("SSH-2.0-OpenSSH_9.2\r\n"u8.ToArray()), output, () => { }, _err, _world.Context);
        Assert.Equal(1, rc);
        var frames = Frames(output);
        Assert.Equal([MigrationFrameType.Ready, MigrationFrameType.Error], frames.Select(f => f.Type));
        Assert.Contains("not a Xenon save stream", frames[1].Text);
        Assert.False(Directory.Exists(_world.Context.DomainsDirectory) && Directory.EnumerateDirectories(_world.Context.DomainsDirectory).Any());
    }

    [Fact]
    public void AReceiverRefusesANameInUseOnItsHost()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 1));
        var stream = new MemoryStream();
        using (var w = new SaveStreamWriter(stream, new SaveHeader("web", Guid.NewGuid(), SaveFlags.Live)))
        {
            w.WriteDomainConfig(System.Text.Encoding.UTF8.GetBytes(DomainSpecJson.Serialize(ToolstackFixture.Spec("web", 7))));
            w.Flush();
        }
        stream.Position = 0;
        var output = new MemoryStream();
        Assert.Equal(1, MigrateReceiveCommand.Receive(stream, output, () => { }, _err, _world.Context));
        var frames = Frames(output);
        Assert.Equal(MigrationFrameType.Error, frames[^1].Type);
        Assert.Contains("'web' is already in use", frames[^1].Text);
        Assert.Contains("on the receiving host", _err.ToString());
    }
}
