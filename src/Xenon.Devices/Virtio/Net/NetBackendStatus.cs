namespace Xenon.Devices.Virtio.Net;

/// <summary>Outcome of one backend receive or send.</summary>
public enum NetBackendStatus
{
    /// <summary>A frame was received or sent.</summary>
    Done,

    /// <summary>Receive only: nothing is queued now.</summary>
    Empty,

    /// <summary>The host refused or failed (the device counts it and carries on).</summary>
    Failed,
}
