using System.Text;
using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Tests.Domain;

/// <summary>The control socket's vcpu-set and vcpus requests: malformed requests and a domain that is not running
/// get an error reply (the request's effect on a running machine is covered by CpuHotplugControllerTests and the
/// vcpu-set full-system scenario).</summary>
public sealed class VcpuSetRequestTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-vcpuset-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Handle(string line)
    {
        var runner = new DomainRunner(new DomainSpec { Name = "t", MemoryMiB = 64, Kernel = "/nonexistent", Vcpus = 2, MaxVcpus = 4 }, _ => { });
        using var server = new ControlServer(runner, Path.Combine(_root, "c.sock"));
        return server.Handle(Encoding.UTF8.GetBytes(line));
    }

    [Theory]
    [InlineData("{\"cmd\":\"vcpu-set\"}", "vcpu-set needs")]
    [InlineData("{\"cmd\":\"vcpu-set\",\"vcpus\":\"4\"}", "vcpu-set needs")]
    [InlineData("{\"cmd\":\"vcpu-set\",\"vcpus\":2.5}", "vcpu-set needs")]
    [InlineData("{\"cmd\":\"vcpu-set\",\"vcpus\":99999999999}", "vcpu-set needs")]
    [InlineData("{\"cmd\":\"vcpu-set\",\"vcpus\":3}", "the domain is not running")]
    [InlineData("{\"cmd\":\"vcpus\"}", "the domain is not running")]
    public void RequestsThatCannotBeCarriedOutAreRefused(string request, string expected)
    {
        string reply = Handle(request);
        Assert.StartsWith("{\"ok\":false,\"error\":", reply);
        Assert.Contains(expected, reply);
    }

    [Fact]
    public void UnknownCommandsListTheVcpuRequests() => Assert.Contains("vcpu-set, vcpus", Handle("{\"cmd\":\"nope\"}"));
}
