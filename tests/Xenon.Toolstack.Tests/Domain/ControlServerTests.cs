using System.Text;
using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Tests.Domain;

public sealed class ControlServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-control-").FullName;
    private readonly ControlServer _server;

    public ControlServerTests()
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
    [InlineData("not json", "malformed JSON")]
    [InlineData("[1,2]", "JSON object with a string member \\u0022cmd\\u0022")]
    [InlineData("{\"cmd\":5}", "string member")]
    [InlineData("{}", "string member")]
    [InlineData("{\"cmd\":\"reboot-the-host\"}", "unknown command")]
    [InlineData("{\"cmd\":\"mem-set\"}", "mem-set needs \\u0022target_mib\\u0022")]
    [InlineData("{\"cmd\":\"stats\"}", "the domain is not running")]
    [InlineData("{\"cmd\":\"mem-set\",\"target_mib\":\"lots\"}", "must be a whole number of MiB")]
    [InlineData("{\"cmd\":\"mem-set\",\"target_mib\":-5}", "must be a whole number of MiB")]
    [InlineData("{\"cmd\":\"mem-set\",\"target_mib\":1.5}", "must be a whole number of MiB")]
    public void MalformedRequestsGetAnErrorReplyNamingTheProblem(string request, string expected)
    {
        var reply = Handle(request);
        Assert.StartsWith("{\"ok\":false,\"error\":", reply);
        Assert.Contains(expected, reply);
    }

    [Fact]
    public void ShutdownAndInfoOfADomainThatIsNotRunningAreRefused()
    {
        Assert.Contains("not running", Handle("{\"cmd\":\"shutdown\"}"));
        Assert.Contains("not running", Handle("{\"cmd\":\"info\"}"));
        Assert.Contains("not running", Handle("{\"cmd\":\"mem-set\",\"target_mib\":64}"));
    }

    [Fact]
    public void DestroyIsAcceptedAtAnyTime() => Assert.Equal("{\"ok\":true}", Handle("{\"cmd\":\"destroy\"}"));

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var rng = new Random(7);
        var buf = new byte[200];
        for (int i = 0; i < 5000; i++)
        {
            rng.NextBytes(buf);
            var reply = _server.Handle(buf.AsSpan(0, rng.Next(buf.Length)));
            Assert.StartsWith("{\"ok\":", reply);
        }
    }

    [Fact]
    public void TheSocketAnswersEachLineInOrderAndSurvivesAnOversizedRequest()
    {
        using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        s.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(_dir, "control.sock")));
        s.Send(Encoding.UTF8.GetBytes("{\"cmd\":\"destroy\"}\n{\"cmd\":\"nope\"}\n"));
        var text = ReadLines(s, 2);
        Assert.StartsWith("{\"ok\":true}\n{\"ok\":false", text);

        using var big = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        big.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(_dir, "control.sock")));
        big.Send(new byte[ControlServer.MaxRequestBytes + 10]);
        Assert.Contains("longer than", ReadLines(big, 1));
    }

    private static string ReadLines(System.Net.Sockets.Socket s, int lines)
    {
        s.ReceiveTimeout = 5000;
        var sb = new StringBuilder();
        var buf = new byte[1024];
        while (sb.ToString().Count(c => c == '\n') < lines)
        {
            int n = s.Receive(buf);
            if (n <= 0) break;
            sb.Append(Encoding.UTF8.GetString(buf, 0, n));
        }
        return sb.ToString();
    }

    // save (docs/control-protocol.md): its arguments are checked before the domain is touched
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
    public void TheUnknownCommandErrorListsSave()
    {
        string reply = Handle("{\"cmd\":\"nope\"}");
        Assert.Contains("unknown command", reply);
        foreach (var command in new[] { "save", "stats", "migrate" }) Assert.Contains(command, reply);
    }
}
