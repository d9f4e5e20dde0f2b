using System.Net.Sockets;
using Xenon.Devices.Virtio.Console;
using E = Xenon.Devices.Virtio.Console.ConsoleControlEvent;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>The Unix socket channel backend against real sockets in a temporary directory.</summary>
public sealed class UnixSocketPortBackendTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-vport-").FullName;
    private int _wakes;

    private string SocketPath => Path.Combine(_dir, "chan.sock");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private UnixSocketPortBackend Start(int bufferBytes = UnixSocketPortBackend.DefaultBufferBytes)
    {
        var backend = new UnixSocketPortBackend(SocketPath, bufferBytes);
        backend.Start(() => Interlocked.Increment(ref _wakes));
        return backend;
    }

    private Socket Connect()
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(SocketPath));
        client.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        return client;
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting until {what}");
            Thread.Sleep(5);
        }
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var bytes = new byte[count];
        for (int got = 0; got < count;)
        {
            int n = socket.Receive(bytes, got, count - got, SocketFlags.None);
            if (n == 0) Assert.Fail($"peer closed after {got} of {count} bytes");
            got += n;
        }
        return bytes;
    }

    [Fact]
    public void BytesFlowBothWaysWithOneClient()
    {
        using var backend = Start();
        Assert.False(backend.IsConnected);
        using var client = Connect();
        WaitUntil(() => backend.IsConnected, "the client is attached");
        WaitUntil(() => Volatile.Read(ref _wakes) > 0, "the device is woken for the new client");

        client.Send("from client"u8);
        WaitUntil(() => backend.HasInput, "input arrives");
        WaitUntil(() => Peek(backend) >= 11, "all the input arrives");
        Assert.Equal("from client"u8.ToArray(), _taken.ToArray());
        Assert.False(backend.HasInput);

        Assert.Equal(9, backend.Write("from host"u8));
        Assert.Equal("from host"u8.ToArray(), ReceiveExactly(client, 9));
        Assert.Equal(1, backend.ClientsAccepted);
    }

    // Input arrives in pieces: collects it into _taken and returns how much there is so far.
    private readonly List<byte> _taken = [];

    private int Peek(UnixSocketPortBackend backend)
    {
        var chunk = new byte[4096];
        int n;
        while ((n = backend.Read(chunk)) > 0) _taken.AddRange(chunk.AsSpan(0, n).ToArray());
        return _taken.Count;
    }

    [Fact]
    public void ASecondClientIsTurnedAwayWhileOneIsAttached()
    {
        using var backend = Start();
        using var first = Connect();
        WaitUntil(() => backend.IsConnected, "the first client is attached");
        using var second = Connect();
        Assert.Equal(0, second.Receive(new byte[1])); // closed by the backend
        WaitUntil(() => backend.ClientsRejected == 1, "the second client is counted");

        first.Send("still here"u8);
        WaitUntil(() => Peek(backend) >= 10, "the first client's bytes arrive");
        Assert.Equal("still here"u8.ToArray(), _taken.ToArray());
    }

    [Fact]
    public void AClientLeavingDisconnectsAndLaterOutputIsDropped()
    {
        using var backend = Start();
        var client = Connect();
        WaitUntil(() => backend.IsConnected, "the client is attached");
        client.Send("last words"u8);
        client.Dispose();
        WaitUntil(() => !backend.IsConnected, "the client is gone");

        // What it sent before leaving still reaches the guest.
        Assert.Equal(10, Peek(backend));
        Assert.Equal(5, backend.Write("lost!"u8));
        Assert.Equal(5, backend.BytesDropped);

        using var next = Connect();
        WaitUntil(() => backend.IsConnected, "a new client is attached");
        Assert.Equal(2, backend.ClientsAccepted);
    }

    [Fact]
    public void InputIsBoundedAndTheClientIsPushedBack()
    {
        using var backend = Start(bufferBytes: 4096);
        using var client = Connect();
        WaitUntil(() => backend.IsConnected, "the client is attached");
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31 + 7)).ToArray();
        var sender = new Thread(() => client.Send(data)) { IsBackground = true };
        sender.Start();

        // The backend never holds more than its buffer: read slowly and check each read.
        var chunk = new byte[8192];
        var received = new List<byte>();
        var deadline = DateTime.UtcNow + Patience;
        while (received.Count < data.Length)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"only {received.Count} bytes arrived");
            int n = backend.Read(chunk);
            Assert.True(n <= 4096, $"read {n} bytes from a 4 KiB buffer");
            received.AddRange(chunk.AsSpan(0, n).ToArray());
            if (n == 0) Thread.Sleep(1);
        }
        Assert.True(sender.Join(Patience));
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void AFullOutputBufferTakesLessAndWakesWhenTheClientCatchesUp()
    {
        using var backend = Start(bufferBytes: 4096);
        using var client = Connect();
        WaitUntil(() => backend.IsConnected, "the client is attached");

        // The client does not read: kernel socket buffers fill, then the backend's.
        var block = new byte[4096];
        long written = 0;
        int taken;
        int wakesWhenFull;
        var deadline = DateTime.UtcNow + Patience;
        do
        {
            for (int i = 0; i < block.Length; i++) block[i] = (byte)(written + i);
            wakesWhenFull = Volatile.Read(ref _wakes);
            taken = backend.Write(block);
            written += taken;
            if (taken == block.Length) continue;
            Thread.Sleep(20); // let the sender drain what it can into the socket
            // Counted before the write that may come back short: the wake it promises comes after.
            wakesWhenFull = Volatile.Read(ref _wakes);
            int more = backend.Write(block.AsSpan(taken));
            written += more;
            taken = more;
        }
        while (taken > 0 && DateTime.UtcNow < deadline);
        Assert.Equal(0, taken);

        var received = ReceiveExactly(client, (int)written);
        for (int i = 0; i < received.Length; i += 997) Assert.Equal((byte)i, received[i]);
        WaitUntil(() => Volatile.Read(ref _wakes) > wakesWhenFull, "the backend wakes the device after draining");
        Assert.Equal(10, backend.Write(new byte[10]));
        Assert.Equal(0, backend.BytesDropped);
    }

    [Fact]
    public void AStaleSocketFileIsReplacedButALiveServerIsNot()
    {
        using (var old = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            old.Bind(new UnixDomainSocketEndPoint(SocketPath)); // bound, never listening: a leftover
        using (var backend = Start())
        {
            using var client = Connect();
            WaitUntil(() => backend.IsConnected, "the client is attached");
            Assert.Throws<IOException>(() => new UnixSocketPortBackend(SocketPath));
        }
        Assert.False(File.Exists(SocketPath)); // removed on dispose
        Directory.CreateDirectory(SocketPath);
        Assert.Throws<IOException>(() => new UnixSocketPortBackend(SocketPath));
    }

    [Fact]
    public void StartingTwiceIsRefused()
    {
        using var backend = Start();
        Assert.Throws<InvalidOperationException>(() => backend.Start(() => { }));
    }

    /// <summary>
    /// The console device and a socket channel together, the way the domain wires them: backend threads call
    /// wake, and one thread (here the test's, standing in for the device I/O thread) calls ServicePending.
    /// </summary>
    [Fact]
    public void AChannelCarriesBytesBetweenAGuestPortAndASocketClient()
    {
        using var wake = new SemaphoreSlim(0);
        using var backend = new UnixSocketPortBackend(SocketPath);
        var set = new QueueSet(6, 64);
        using var _s = set;
        var device = new Xenon.Devices.Virtio.Console.VirtioConsole(set.Memory,
            [new ConsolePortSpec(new NullPortBackend(), null, true), new ConsolePortSpec(backend, "org.xenon.test")], () => wake.Release());
        device.Activate(device.DeviceFeatures, set.Queues, set.Interrupt);
        var control = new Dictionary<uint, ulong>();
        for (int i = 0; i < 16; i++)
        {
            ulong at = set.Allocate(256);
            control[set.Offer(2, (at, 256, true))] = at;
        }
        void Control(uint id, E e, ushort value)
        {
            var bytes = new byte[8];
            new ConsoleControlMessage(id, e, value).Encode(bytes);
            set.OfferBytes(3, bytes);
            device.QueueNotify(3);
        }
        void Serve(Func<bool> until, string what)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (!until())
            {
                if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting until {what}");
                wake.Wait(50);
                device.ServicePending();
            }
        }
        List<ConsoleControlMessage> Announced() => set.UsedSince(2, 0)
            .Select(u => ConsoleControlMessage.Decode(set.Read(control[u.Id], 8))).ToList();

        Control(uint.MaxValue, E.DeviceReady, 1);
        Control(0, E.PortReady, 1);
        Control(1, E.PortReady, 1);
        Assert.DoesNotContain(Announced(), m => m is { Id: 1, Event: E.PortOpen });

        using var client = Connect();
        Serve(() => Announced().Contains(new ConsoleControlMessage(1, E.PortOpen, 1)), "the client's arrival is announced");

        Control(1, E.PortOpen, 1);
        ulong rx = set.OfferWritable(4, 64);
        device.QueueNotify(4);
        client.Send("hello guest"u8);
        Serve(() => set.Drivers[4].UsedIdx == 1, "the client's bytes reach the guest");
        Assert.Equal("hello guest"u8.ToArray(), set.Read(rx, (int)set.Drivers[4].UsedElement(0).Length));

        set.OfferBytes(5, "hello host"u8);
        device.QueueNotify(5);
        Assert.Equal("hello host"u8.ToArray(), ReceiveExactly(client, 10));

        client.Dispose();
        Serve(() => Announced().Contains(new ConsoleControlMessage(1, E.PortOpen, 0)), "the client's departure is announced");
    }
}
