namespace Xenon.Devices.Virtio;

/// <summary>How every device's configuration space reads: the driver may read any width at any offset; bytes
/// past the end (or at a negative offset) read as zero, and nothing outside the space is touched.</summary>
public static class VirtioConfigSpace
{
    public static void Read(ReadOnlySpan<byte> config, int offset, Span<byte> data)
    {
        data.Clear();
        if (offset < 0 || offset >= config.Length) return;
        var available = config[offset..];
        available[..Math.Min(available.Length, data.Length)].CopyTo(data);
    }
}
