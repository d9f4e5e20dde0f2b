namespace Xenon.Devices.State;

/// <summary>A saved device state could not be restored: the message names the device or kind, the field and its offset in the blob.</summary>
public sealed class DeviceStateException : Exception
{
    public DeviceStateException(string message) : base(message)
    {
    }

    public DeviceStateException(string message, Exception inner) : base(message, inner)
    {
    }
}
