using System.Diagnostics;
using Xenon.Kvm.Net;

namespace Xenon.Kvm.Tests;

/// <summary>Enslaving a real tap to a real bridge (root and /dev/net/tun; skipped with the reason otherwise).</summary>
public sealed class BridgePortTests
{
    private static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Skip($"cannot run ip {string.Join(' ', args)}: {err.Trim()}");
    }

    [Fact]
    public void TapJoinsAndLeavesABridge()
    {
        using var tap = TapRequirements.Open();
        string bridge = $"xbr{Random.Shared.Next():x8}";
        Ip("link", "add", bridge, "type", "bridge");
        try
        {
            Assert.True(BridgePort.IsBridge(bridge));
            Assert.False(BridgePort.IsBridge(tap.Name));
            Assert.Null(BridgePort.BridgeOf(tap.Name));
            BridgePort.Add(bridge, tap.Name);
            Assert.Equal(bridge, BridgePort.BridgeOf(tap.Name));
            BridgePort.Remove(bridge, tap.Name);
            Assert.Null(BridgePort.BridgeOf(tap.Name));
        }
        finally
        {
            Ip("link", "del", bridge);
        }
    }

    [Fact]
    public void AddingToAMissingBridgeFailsNamingIt()
    {
        using var tap = TapRequirements.Open();
        var e = Assert.Throws<KvmException>(() => BridgePort.Add("xnobridge0", tap.Name));
        Assert.Contains("SIOCBRADDIF(xnobridge0", e.Message, StringComparison.Ordinal);
        Assert.False(BridgePort.IsBridge("xnobridge0"));
    }
}
