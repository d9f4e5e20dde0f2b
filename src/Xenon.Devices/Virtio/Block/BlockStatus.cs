namespace Xenon.Devices.Virtio.Block;

/// <summary>The status byte the device writes as the last device-writable byte of a request.</summary>
public enum BlockStatus : byte
{
    Ok = 0,
    IoError = 1,
    Unsupported = 2,
}
