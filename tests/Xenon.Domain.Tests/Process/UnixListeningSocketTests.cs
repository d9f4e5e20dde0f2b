using System.Net.Sockets;
using Xenon.Domain.Process;

namespace Xenon.Domain.Tests.Process;

public sealed class UnixListeningSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-sock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Socket Connect(string path)
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        return client;
    }

    [Fact]
    public void AcceptsAClientAndDisposingRemovesThePath()
    {
        string path = Path.Combine(_dir, "x.sock");
        var listening = UnixListeningSocket.Listen(path, 1, "a test");
        Assert.Equal(path, listening.Path);
        using (var client = Connect(path))
        using (var server = listening.Socket.Accept())
        {
            client.Send([42]);
            var buffer = new byte[1];
            Assert.Equal(1, server.Receive(buffer));
            Assert.Equal(42, buffer[0]);
        }
        listening.Dispose();
        Assert.False(File.Exists(path));
        Assert.Throws<ObjectDisposedException>(() => listening.Socket.Accept());
    }

    [Fact]
    public void AStaleFileAtThePathIsReplaced()
    {
        string path = Path.Combine(_dir, "stale.sock");
        File.WriteAllText(path, "left by an earlier process");
        using var listening = UnixListeningSocket.Listen(path, 1, "a test");
        using var client = Connect(path);
        using var server = listening.Socket.Accept();
        Assert.True(server.Connected);
    }

    [Fact]
    public void RemovePathStopsNewClientsButKeepsTheSocketOpen()
    {
        string path = Path.Combine(_dir, "r.sock");
        using var listening = UnixListeningSocket.Listen(path, 2, "a test");
        using var queued = Connect(path);
        listening.RemovePath();
        Assert.False(File.Exists(path));
        Assert.ThrowsAny<SocketException>(() => Connect(path).Dispose());
        using var server = listening.Socket.Accept();
        Assert.True(server.Connected);
        listening.RemovePath(); // a second removal is harmless
    }

    [Fact]
    public void AnUnbindablePathIsAnIOExceptionNamingPathAndPurpose()
    {
        string path = Path.Combine(_dir, "missing", "x.sock");
        var e = Assert.Throws<IOException>(() => UnixListeningSocket.Listen(path, 1, "the restore request"));
        Assert.StartsWith($"cannot listen on {path} for the restore request: ", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.InnerException);
    }
}
