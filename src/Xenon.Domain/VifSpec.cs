namespace Xenon.Domain;

/// <summary>One virtual network interface: a virtio-net device in the guest, a TAP on the host attached to a
/// bridge (or handed to a script), as xl's vif-bridge does.</summary>
public sealed record VifSpec
{
    /// <summary>The interface's index in the vif list (xl's DEVID).</summary>
    public int DevId { get; init; }

    /// <summary>Guest MAC address, xx:xx:xx:xx:xx:xx.</summary>
    public required string Mac { get; init; }

    /// <summary>Host-side TAP name (vifDOMID.DEVID unless vifname= was given).</summary>
    public required string IfName { get; init; }

    public string Bridge { get; init; } = "xenbr0";

    /// <summary>A hotplug script run with <c>online</c> when the TAP exists and <c>offline</c> when the domain ends,
    /// instead of the built-in bridge attachment.</summary>
    public string? Script { get; init; }

    /// <summary>MTU for the guest and the TAP; 0 = the bridge's (1500 without one).</summary>
    public int Mtu { get; init; }

    public string? Ip { get; init; }
}
