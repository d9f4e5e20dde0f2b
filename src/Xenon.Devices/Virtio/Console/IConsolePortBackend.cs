namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// The host end of one virtio-console port: a byte stream in each direction and whether someone is attached.
/// The device calls <see cref="Read"/>, <see cref="Write"/>, <see cref="HasInput"/> and <see cref="IsConnected"/>
/// on its I/O thread only, never blocks in them, and never calls them concurrently. The backend's own threads
/// (accepting, receiving, sending) report progress by calling the wake action given to <see cref="Start"/>,
/// and the device then serves the port on its I/O thread.
/// </summary>
public interface IConsolePortBackend
{
    /// <summary>Called once by the device. The backend calls <paramref name="wake"/> (from any thread) whenever input
    /// arrived, output space freed after a short <see cref="Write"/>, or <see cref="IsConnected"/> changed.</summary>
    void Start(Action wake);

    /// <summary>Whether a host-side peer is attached (reported to the guest as PORT_OPEN).</summary>
    bool IsConnected { get; }

    /// <summary>True when <see cref="Read"/> would return at least one byte.</summary>
    bool HasInput { get; }

    /// <summary>Moves up to <paramref name="destination"/>.Length bytes of host input; 0 when there is none. Never blocks.</summary>
    int Read(Span<byte> destination);

    /// <summary>
    /// Takes guest output. Returns the bytes consumed: all of them when they were queued for the peer, or dropped
    /// because none is attached; fewer (possibly 0) when the backend's bounded buffer is full, in which case it calls
    /// wake once space frees. Never blocks.
    /// </summary>
    int Write(ReadOnlySpan<byte> source);
}
