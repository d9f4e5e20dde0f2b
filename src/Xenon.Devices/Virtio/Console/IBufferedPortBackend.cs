namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// A port backend that buffers host input the guest has not read yet (<see cref="UnixSocketPortBackend"/>). A save
/// carries those bytes, so what a client sent before the save still reaches the guest after the restore, as it
/// would have after the client disconnected. Guest output still buffered for a client is not saved: the client's
/// connection does not survive the save, and output to a departed client is dropped (and counted) anyway.
/// </summary>
public interface IBufferedPortBackend : IConsolePortBackend
{
    /// <summary>The input not read by the device yet, oldest first; nothing is consumed.</summary>
    byte[] PeekInput();

    /// <summary>Puts saved input back ahead of anything received since; false if it does not fit the buffer.</summary>
    bool TryRestoreInput(ReadOnlySpan<byte> input);
}
