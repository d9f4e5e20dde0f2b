namespace Xenon.Devices.Legacy.Serial;

/// <summary>Where a UART's transmitted bytes go (the console backend, a log file, a test buffer).</summary>
/// <remarks>Called on a vCPU thread, outside the UART's lock, once per transmitted byte with a
/// one-byte span that is only valid during the call. Implementations buffer if they need to and
/// must not block for long: the vCPU is stalled while they run.</remarks>
public interface ISerialOutput
{
    void Write(ReadOnlySpan<byte> data);
}
