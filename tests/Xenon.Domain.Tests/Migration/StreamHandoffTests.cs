using System.Net;
using System.Net.Sockets;
using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>
/// migrate-receive's offer of the sender's connection to the domain process (in one process here: pidfd_getfd on our
/// own pid): taken, the domain process reads the prefix and then the connection itself and answers on it; refused or
/// impossible, it reads the prefix and then the relay; a malformed offer is refused by name.
/// </summary>
public sealed class StreamHandoffTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-handoff-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Two connected Unix sockets: the toolstack's end and the domain process's (accepted) end.</summary>
    private (Socket Toolstack, Socket Domain) LocalPair()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var path = Path.Combine(_dir, $"m{Guid.NewGuid():n}.sock");
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var toolstack = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        toolstack.Connect(new UnixDomainSocketEndPoint(path));
        return (toolstack, listener.Accept());
    }

    private static (Socket Sender, Socket Receiver) TcpPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        sender.Connect(listener.LocalEndPoint!);
        return (sender, listener.Accept());
    }

    private static StreamHandoff.Answer OfferOnThread(Socket toolstack, Socket? connection, byte[] prefix, out Thread thread)
    {
        StreamHandoff.Answer answer = default;
        var stream = new NetworkStream(toolstack, ownsSocket: false);
        thread = new Thread(() => answer = StreamHandoff.Offer(stream, connection, prefix)) { IsBackground = true };
        thread.Start();
        thread.Join(TimeSpan.FromSeconds(20));
        return answer;
    }

    private static byte[] ReadExactly(Stream stream, int count)
    {
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }

    [Fact]
    public void ATakenConnectionIsReadAfterThePrefixAndAnsweredDirectly()
    {
        var (sender, received) = TcpPair();
        var (toolstack, domain) = LocalPair();
        using (sender)
        using (received)
        using (toolstack)
        {
            sender.Send("rest"u8);
            MigrationChannel? channel = null;
            var accepting = new Thread(() => channel = StreamHandoff.Accept(domain, TimeSpan.FromSeconds(10), _ => { })) { IsBackground = true };
            accepting.Start();
            var answer = OfferOnThread(toolstack, received, "head:"u8.ToArray(), out _);
            accepting.Join(TimeSpan.FromSeconds(20));

            Assert.Equal(StreamHandoff.Answer.Taken, answer);
            using var taken = Assert.IsType<MigrationChannel>(channel);
            {
                Assert.Equal("head:rest"u8.ToArray(), ReadExactly(taken.Receive, 9));
                taken.Send.Write("answer"u8);
                taken.Send.Flush();
                var back = new byte[6];
                Assert.Equal(6, sender.Receive(back));
                Assert.Equal("answer"u8.ToArray(), back);
            }
        }
    }

    [Fact]
    public void WithoutAConnectionTheStreamComesThroughTheRelay()
    {
        var (toolstack, domain) = LocalPair();
        using (toolstack)
        {
            MigrationChannel? channel = null;
            var accepting = new Thread(() => channel = StreamHandoff.Accept(domain, TimeSpan.FromSeconds(10), _ => { })) { IsBackground = true };
            accepting.Start();
            Assert.Equal(StreamHandoff.Answer.Relay, OfferOnThread(toolstack, null, "head:"u8.ToArray(), out _));
            accepting.Join(TimeSpan.FromSeconds(20));
            toolstack.Send("relayed"u8);
            using var relayed = Assert.IsType<MigrationChannel>(channel);
            Assert.Equal("head:relayed"u8.ToArray(), ReadExactly(relayed.Receive, 12));
        }
    }

    [Fact]
    public void AConnectionThatCannotBeTakenFallsBackToTheRelayAndSaysWhy()
    {
        var (toolstack, domain) = LocalPair();
        var (sender, received) = TcpPair();
        using (sender)
        using (toolstack)
        {
            received.Dispose(); // its descriptor is closed: pidfd_getfd fails
            var lines = new List<string>();
            MigrationChannel? channel = null;
            var accepting = new Thread(() => channel = StreamHandoff.Accept(domain, TimeSpan.FromSeconds(10), lines.Add)) { IsBackground = true };
            accepting.Start();
            var stream = new NetworkStream(toolstack, ownsSocket: false);
            // An offer naming a closed descriptor, written by hand (Offer would read the handle of a disposed socket).
            var offer = new byte[20];
            "XHOF"u8.CopyTo(offer);
            offer[4] = 1;
            BitConverter.TryWriteBytes(offer.AsSpan(8), Environment.ProcessId);
            BitConverter.TryWriteBytes(offer.AsSpan(12), 1_000_000);
            stream.Write(offer);
            accepting.Join(TimeSpan.FromSeconds(20));
            Assert.Equal((byte)'R', (byte)stream.ReadByte());
            Assert.Contains(lines, l => l.Contains("relaying through migrate-receive") && l.Contains("pidfd_getfd"));
            channel!.Dispose();
        }
    }

    [Theory]
    [InlineData(0, "wrong magic")]
    [InlineData(4, "kind")]
    [InlineData(16, "more than")]
    [InlineData(-1, "truncated")]
    public void AMalformedOfferIsRefused(int field, string expected)
    {
        var (toolstack, domain) = LocalPair();
        using (toolstack)
        {
            var offer = new byte[20];
            "XHOF"u8.CopyTo(offer);
            if (field == 0) offer[0] = (byte)'Y';
            if (field == 4) offer[4] = 7;
            if (field == 16) BitConverter.TryWriteBytes(offer.AsSpan(16), (uint)StreamHandoff.MaxPrefix + 1);
            toolstack.Send(field == -1 ? offer.AsSpan(0, 10) : offer);
            toolstack.Shutdown(SocketShutdown.Send);
            var e = Assert.Throws<IOException>(() => StreamHandoff.Accept(domain, TimeSpan.FromSeconds(10), _ => { }));
            Assert.Contains(expected, e.Message);
        }
    }
}
