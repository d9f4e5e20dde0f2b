using System.Text;
using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Tests.Domain;

/// <summary>The control socket's reboot and rename commands, and the runtime directory's move.</summary>
public sealed class ControlServerRenameRebootTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-rename-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Handle(ControlServer server, string line) => server.Handle(Encoding.UTF8.GetBytes(line));

    private static DomainRunner Runner() => new(new DomainSpec { Name = "t", MemoryMiB = 64, Kernel = "/nonexistent" }, _ => { });

    [Fact]
    public void RebootOfADomainThatIsNotRunningIsRefused()
    {
        using var server = new ControlServer(Runner(), Path.Combine(_root, "c.sock"));
        Assert.Equal("{\"ok\":false,\"error\":\"the domain is not running\"}", Handle(server, "{\"cmd\":\"reboot\"}"));
    }

    [Theory]
    [InlineData("{\"cmd\":\"rename\"}", "rename needs")]
    [InlineData("{\"cmd\":\"rename\",\"name\":\"\"}", "rename needs")]
    [InlineData("{\"cmd\":\"rename\",\"name\":5}", "must be a string")]
    public void MalformedRenamesAreRefused(string request, string expected)
    {
        using var server = new ControlServer(Runner(), Path.Combine(_root, "c.sock"), _ => null);
        Assert.Contains(expected, Handle(server, request));
    }

    [Fact]
    public void RenameWithoutAHandlerIsRefused()
    {
        using var server = new ControlServer(Runner(), Path.Combine(_root, "c.sock"));
        Assert.Contains("cannot be renamed", Handle(server, "{\"cmd\":\"rename\",\"name\":\"x\"}"));
    }

    [Fact]
    public void RenameMovesTheDirectoryAndLaterWritesFollow()
    {
        var dir = new DomainRuntimeDirectory(Path.Combine(_root, "old"));
        Directory.CreateDirectory(dir.Path);
        using var server = new ControlServer(Runner(), dir.ControlSocket, dir.MoveTo);
        Assert.Equal("{\"ok\":true}", Handle(server, "{\"cmd\":\"rename\",\"name\":\"new\"}"));
        Assert.Equal(Path.Combine(_root, "new"), dir.Path);
        Assert.Equal("new", dir.Name);
        dir.WriteFile("outcome", "PowerOff 0 x\n");
        Assert.True(File.Exists(Path.Combine(_root, "new", "outcome")));
        // The control socket moved with the directory.
        Assert.True(File.Exists(Path.Combine(_root, "new", "control.sock")));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("taken")]
    public void MoveToRefusesBadOrTakenNames(string name)
    {
        Directory.CreateDirectory(Path.Combine(_root, "taken"));
        var dir = new DomainRuntimeDirectory(Path.Combine(_root, "mine"));
        Directory.CreateDirectory(dir.Path);
        Assert.NotNull(dir.MoveTo(name));
        Assert.True(Directory.Exists(Path.Combine(_root, "mine")));
    }

    [Fact]
    public void ZombiesAndMissingProcessesAreNotAlive()
    {
        Assert.True(DomainRuntimeDirectory.IsAlive(Environment.ProcessId));
        Assert.False(DomainRuntimeDirectory.IsAlive(int.MaxValue));
    }
}
