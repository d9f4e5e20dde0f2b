namespace Xenon.Devices.Virtio.Console;

/// <summary>The <c>event</c> of a virtio-console control message (virtio 1.x §5.3.6.2).</summary>
public enum ConsoleControlEvent : ushort
{
    /// <summary>Driver → device: the driver is ready for port announcements (value 1) or failed (0).</summary>
    DeviceReady = 0,

    /// <summary>Device → driver: port <c>id</c> exists.</summary>
    DeviceAdd = 1,

    /// <summary>Device → driver: port <c>id</c> was removed (hot-unplug; not sent here).</summary>
    DeviceRemove = 2,

    /// <summary>Driver → device: port <c>id</c> is set up (value 1) or could not be (0).</summary>
    PortReady = 3,

    /// <summary>Device → driver: port <c>id</c> is a console (hvc).</summary>
    ConsolePort = 4,

    /// <summary>Device → driver: console size changed (needs VIRTIO_CONSOLE_F_SIZE; not sent here).</summary>
    Resize = 5,

    /// <summary>Both ways: the sender's end of port <c>id</c> opened (value 1) or closed (0).</summary>
    PortOpen = 6,

    /// <summary>Device → driver: port <c>id</c>'s name follows the header.</summary>
    PortName = 7,
}
