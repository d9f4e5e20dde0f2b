using System.Text;
using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Tests.Domain;

/// <summary>The control socket's <c>save</c> request (docs/control-protocol.md): its arguments are checked before the
/// domain is touched.</summary>
public sealed class ControlServerSaveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-control-save-").FullName;
    private readonly ControlServer _server;

    public ControlServerSaveTests()
    {
        var spec = new DomainSpec { Name = "t", MemoryMiB = 64, Kernel = "/nonexistent" };
        _server = new ControlServer(new DomainRunner(spec, _ => { }), Path.Combine(_dir, "control.sock"));
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Handle(string line) => _server.Handle(Encoding.UTF8.GetBytes(line));

    [Theory]
    [InlineData("{\"cmd\":\"save\"}", "save needs \\u0022path\\u0022")]
    [InlineData("{\"cmd\":\"save\",\"path\":5}", "\\u0022path\\u0022 must be a string")]
    [InlineData("{\"cmd\":\"save\",\"path\":\"rel/file\"}", "absolute path")]
    [InlineData("{\"cmd\":\"save\",\"path\":\"/tmp/x\",\"keep\":\"yes\"}", "\\u0022keep\\u0022 must be true or false")]
    [InlineData("{\"cmd\":\"save\",\"path\":\"/tmp/x\",\"keep\":true}", "the domain is not running")]
    public void SaveRequestsAreCheckedAndRefusedWithTheReason(string request, string expected)
    {
        var reply = Handle(request);
        Assert.StartsWith("{\"ok\":false,\"error\":", reply);
        Assert.Contains(expected, reply);
        Assert.False(File.Exists("/tmp/x"));
    }

    [Fact]
    public void TheUnknownCommandErrorListsSave() =>
        Assert.Contains("rename or save", Handle("{\"cmd\":\"nope\"}"));
}
