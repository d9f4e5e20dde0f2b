using Xenon.Devices.Virtio.Net;
using H = Xenon.Devices.Virtio.Net.VirtioNetHeader;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>The header checks in both directions against negotiated features.</summary>
public sealed class VirtioNetHeaderTests
{
    private const ulong AllHost = VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6 | VirtioNetFeatures.HostEcn;
    private const ulong AllGuest = VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4 | VirtioNetFeatures.GuestTso6 | VirtioNetFeatures.GuestEcn;

    [Theory]
    [InlineData(0, H.GsoNone, 0ul, true)]
    [InlineData(H.FlagNeedsChecksum, H.GsoNone, 0ul, false)] // NEEDS_CSUM without CSUM
    [InlineData(H.FlagNeedsChecksum, H.GsoNone, VirtioNetFeatures.Csum, true)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV4, VirtioNetFeatures.Csum, false)] // TSO4 without HOST_TSO4
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV4, AllHost, true)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV6, VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4, false)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV6, AllHost, true)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV4 | H.GsoEcn, VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4, false)] // ECN without HOST_ECN
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV4 | H.GsoEcn, AllHost, true)]
    [InlineData(0, H.GsoNone | H.GsoEcn, AllHost, false)] // ECN without segmentation
    [InlineData(H.FlagNeedsChecksum, H.GsoUdp, ulong.MaxValue, false)] // UFO is never offered
    [InlineData(H.FlagNeedsChecksum, H.GsoUdpL4, ulong.MaxValue, false)]
    [InlineData(0, 0x42, ulong.MaxValue, false)]
    public void TransmitHeadersAskOnlyForNegotiatedOffloads(byte flags, byte gso, ulong negotiated, bool accepted)
    {
        var header = NetRig.Header(flags, gso);
        Assert.Equal(accepted, H.TryNormaliseForTransmit(header, negotiated));
    }

    [Fact]
    public void TransmitNormalisationClearsReceiveOnlyFlagsAndNumBuffers()
    {
        var header = NetRig.Header((byte)(H.FlagNeedsChecksum | H.FlagDataValid | H.FlagRscInfo | 0x40));
        header[H.NumBuffersOffset] = 7;
        Assert.True(H.TryNormaliseForTransmit(header, AllHost));
        Assert.Equal(H.FlagNeedsChecksum, header[H.FlagsOffset]);
        Assert.Equal(0, H.GetNumBuffers(header));
    }

    [Theory]
    [InlineData(0, H.GsoNone, 0ul, true, 0)]
    [InlineData(H.FlagDataValid, H.GsoNone, 0ul, true, 0)] // without GUEST_CSUM the flags must read zero
    [InlineData(H.FlagNeedsChecksum, H.GsoNone, 0ul, false, 0)] // an incomplete checksum cannot go to such a driver
    [InlineData(H.FlagNeedsChecksum | H.FlagDataValid | H.FlagRscInfo, H.GsoNone, AllGuest, true, H.FlagNeedsChecksum | H.FlagDataValid)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV4, VirtioNetFeatures.GuestCsum, false, 0)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV4, AllGuest, true, H.FlagNeedsChecksum)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV6 | H.GsoEcn, VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso6, false, 0)]
    [InlineData(H.FlagNeedsChecksum, H.GsoTcpV6 | H.GsoEcn, AllGuest, true, H.FlagNeedsChecksum)]
    [InlineData(H.FlagNeedsChecksum, H.GsoUdp, ulong.MaxValue, false, 0)]
    public void ReceivedHeadersAreFittedToWhatTheDriverAccepted(byte flags, byte gso, ulong negotiated, bool accepted, byte expectedFlags)
    {
        var header = NetRig.Header(flags, gso);
        Assert.Equal(accepted, H.TryNormaliseForReceive(header, negotiated));
        if (accepted) Assert.Equal(expectedFlags, header[H.FlagsOffset]);
    }
}
