using Xenon.Devices.Virtio.Net;
using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>Early transmit completion (<c>TransmitCompletesEarly</c>): the frame is copied out, the chain completed and
/// the interrupt raised before the send; what is sent is the copy, checked as ever.</summary>
public sealed class VirtioNetTransmitEarlyTests
{
    /// <summary>Records, at each send, how far the used ring and the interrupts had got.</summary>
    private sealed class Probe(NetRig rig)
    {
        public List<(ushort UsedIdx, int Signals)> AtSend { get; } = [];

        public void Attach() => rig.Backend.OnSend = () => AtSend.Add((rig.Tx.UsedIdx, rig.Interrupt.Signals(Net.TransmitQueue)));
    }

    [Fact]
    public void TheChainIsCompletedAndInterruptedBeforeTheCopyIsSent()
    {
        using var rig = new NetRig();
        rig.Device.TransmitCompletesEarly = true;
        var probe = new Probe(rig);
        probe.Attach();
        var frame = NetRig.Frame(1500);
        rig.Transmit(NetRig.Header(), frame, 12, 700); // header, then the frame in two pieces

        Assert.Equal([(1, 1)], probe.AtSend);
        var sent = Assert.Single(rig.Backend.Sent);
        Assert.Equal(frame, sent.Frame);
        Assert.Equal(NetRig.Header(), sent.Header);
        Assert.Equal(1, rig.Device.Counters.TxPackets);
        Assert.Equal(1500, rig.Device.Counters.TxBytes);
        Assert.Equal(1, rig.Interrupt.Signals(Net.TransmitQueue));
    }

    [Fact]
    public void TheGuestChangingItsBufferAfterCompletionDoesNotChangeWhatIsSent()
    {
        using var rig = new NetRig();
        rig.Device.TransmitCompletesEarly = true;
        var frame = NetRig.Frame(200);
        // The "guest" reuses the buffer as soon as the chain is back, before the device sends.
        rig.Backend.OnSend = () => rig.Memory.Write(NetRig.TxBuffers, new byte[212]);
        rig.Transmit(NetRig.Header(), frame);
        Assert.Equal(frame, Assert.Single(rig.Backend.Sent).Frame);
    }

    [Fact]
    public void MalformedChainsAreCompletedAndNotSent()
    {
        using var rig = new NetRig(offloads: false);
        rig.Device.TransmitCompletesEarly = true;
        rig.Transmit(NetRig.Header(VirtioNetHeader.FlagNeedsChecksum), NetRig.Frame(100)); // CSUM not negotiated
        rig.Transmit([], NetRig.Frame(20));                                                   // shorter than a header
        Assert.Empty(rig.Backend.Sent);
        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal(2, rig.Device.Counters.TxDroppedMalformed);
    }

    [Fact]
    public void BackendFailuresAreCounted()
    {
        using var rig = new NetRig();
        rig.Device.TransmitCompletesEarly = true;
        rig.Backend.SendStatus = NetBackendStatus.Failed;
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        Assert.Equal(1, rig.Device.Counters.TxErrors);
        Assert.Equal(1, rig.Tx.UsedIdx);
    }

    [Fact]
    public void WithEventIdxOneInterruptCoversWhatTheDriverAskedFor()
    {
        using var rig = new NetRig(eventIdx: true);
        rig.Device.TransmitCompletesEarly = true;
        var packet = NetRig.Packet(NetRig.Frame(80));
        for (int i = 0; i < 3; i++)
        {
            ulong at = NetRig.TxBuffers + (ulong)i * 0x1000;
            rig.Memory.Write(at, packet);
            rig.Tx.Offer(rig.Tx.AddChain((at, (uint)packet.Length, false)));
        }
        rig.Tx.SetUsedEvent(0);
        rig.Device.QueueNotify(Net.TransmitQueue);
        // The driver asked for an interrupt at entry 0: raised once, after the first chain, not again for the others.
        Assert.Equal(1, rig.Interrupt.Signals(Net.TransmitQueue));
        Assert.Equal(3, rig.Backend.Sent.Count);
        Assert.Equal(3, rig.Tx.UsedIdx);
    }

    [Fact]
    public void TurningItOffSendsFromGuestMemoryAgain()
    {
        using var rig = new NetRig();
        rig.Device.TransmitCompletesEarly = true;
        rig.Device.TransmitCompletesEarly = false;
        Assert.False(rig.Device.TransmitCompletesEarly);
        var probe = new Probe(rig);
        probe.Attach();
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        Assert.Equal([(0, 0)], probe.AtSend); // completed only after the send
    }
}
