using Xenon.Devices.Virtio.Console;
using E = Xenon.Devices.Virtio.Console.ConsoleControlEvent;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>Random drivers: control messages with any id/event/value, hostile chains on every queue, backends that
/// connect, disconnect, fill up and feed input at random. Nothing may throw, break a ring or lose ordering.</summary>
public sealed class VirtioConsoleFuzzTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomTrafficNeverThrowsAndKeepsEveryPortsBytesInOrder(int seed)
    {
        var random = new Random(seed);
        var backends = new[] { new FakePortBackend(), new FakePortBackend(outputCapacity: 64), new FakePortBackend(connected: false) };
        using var rig = new ConsoleRig([
            new ConsolePortSpec(backends[0], null, true),
            new ConsolePortSpec(backends[1], "org.xenon.a"),
            new ConsolePortSpec(backends[2], "org.xenon.b")]);
        var sentByGuest = backends.Select(_ => new List<byte>()).ToArray();
        var received = backends.Select(_ => new List<byte>()).ToArray();
        byte next = 0;

        for (int step = 0; step < 3000; step++)
        {
            int port = random.Next(3);
            var p = rig.Device.Ports[port];
            switch (random.Next(10))
            {
                case 0:
                    rig.SendControl((uint)random.Next(-1, 5), (E)random.Next(0, 9), (ushort)random.Next(0, 3));
                    break;
                case 1:
                    if (rig.Set.Drivers[ConsoleRig.ControlRx].AvailIdx - rig.Set.Drivers[ConsoleRig.ControlRx].UsedIdx < 32)
                        rig.GiveControlBuffers(1);
                    break;
                case 2 when PendingOn(rig, p.TransmitQueue) < 32:
                    var bytes = new byte[random.Next(1, 100)];
                    for (int i = 0; i < bytes.Length; i++) bytes[i] = next++;
                    // Bytes reach a backend only while it is attached; what it gets must be a subsequence in order.
                    sentByGuest[port].AddRange(bytes);
                    rig.Transmit(port, bytes);
                    break;
                case 3 when PendingOn(rig, p.ReceiveQueue) < 32:
                    rig.GiveReceiveBuffer(port, (uint)random.Next(1, 200));
                    break;
                case 4:
                    backends[port].Feed([.. Enumerable.Range(0, random.Next(1, 300)).Select(_ => (byte)random.Next())]);
                    break;
                case 5:
                    backends[port].Connected = !backends[port].Connected;
                    break;
                case 6:
                    received[port].AddRange(backends[port].Output);
                    backends[port].Output.Clear();
                    break;
                case 7 when PendingOn(rig, random.Next(8)) < 32:
                    // A hostile chain: outside RAM, or writable where readable is expected and vice versa.
                    int q = random.Next(8);
                    if (random.Next(2) == 0) rig.Set.Offer(q, (0xFFFF_0000UL + (ulong)random.Next(0x1000), (uint)random.Next(1, 64), random.Next(2) == 0));
                    else
                    {
                        bool writable = random.Next(2) == 0;
                        rig.Set.Offer(q, (rig.Set.Allocate(16), 16, writable));
                        // A readable buffer (fresh RAM: zeroes) on a transmitq is guest output like any other.
                        int owner = q == 1 ? 0 : q / 2 - 1;
                        if (!writable && q is 1 or 5 or 7) sentByGuest[owner].AddRange(new byte[16]);
                    }
                    rig.Device.QueueNotify(q);
                    break;
                default:
                    rig.Device.ServicePending();
                    break;
            }
        }

        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
        for (int port = 0; port < 3; port++)
        {
            received[port].AddRange(backends[port].Output);
            Assert.True(IsSubsequence(received[port], sentByGuest[port]), $"port {port}'s backend got bytes out of order");
            Assert.Equal(received[port].Count, rig.Device.Ports[port].BytesFromGuest);
        }
        Assert.True(received.Sum(r => r.Count) > 0);
        for (int q = 0; q < 8; q++)
            foreach (var (_, length) in rig.Set.UsedSince(q, 0))
                Assert.True(length <= 256, $"queue {q} reported {length} bytes, more than any buffer offered");
    }

    private static bool IsSubsequence(List<byte> part, List<byte> whole)
    {
        int i = 0;
        foreach (byte b in whole)
            if (i < part.Count && part[i] == b) i++;
        return i == part.Count;
    }

    private static int PendingOn(ConsoleRig rig, int q) => (ushort)(rig.Set.Drivers[q].AvailIdx - rig.Set.Drivers[q].UsedIdx);
}
