using System.Text;

namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// One port of a virtio-console device, as configured. <paramref name="Name"/> is what the guest sees in
/// /sys/class/virtio-ports/vportXpN/name and udev turns into /dev/virtio-ports/NAME (xl's channel name=);
/// <paramref name="IsConsole"/> makes the guest attach an hvc console to it instead of a /dev/vportXpN device.
/// </summary>
public sealed record ConsolePortSpec(IConsolePortBackend Backend, string? Name = null, bool IsConsole = false)
{
    /// <summary>Longest name in bytes: it travels in one control buffer and Linux keeps it as a sysfs string.</summary>
    public const int MaxNameBytes = 255;

    internal byte[]? EncodeName()
    {
        if (Name is null) return null;
        if (Name.Length == 0) throw new ArgumentException("a port name cannot be empty (leave it null for an unnamed port)", nameof(Name));
        foreach (char c in Name)
            if (c < 0x20 || c > 0x7e) throw new ArgumentException($"port name '{Name}' must be printable ASCII", nameof(Name));
        if (Name.Length > MaxNameBytes) throw new ArgumentException($"port name '{Name}' is longer than {MaxNameBytes} bytes", nameof(Name));
        return Encoding.ASCII.GetBytes(Name);
    }
}
