namespace Xenon.Machine.Memory;

/// <summary>A guest-physical access outside guest RAM (or straddling a hole). Guest-controlled
/// addresses end up here; device code turns it into an error status for the guest, not a crash.</summary>
public sealed class GuestMemoryException(ulong address, ulong length)
    : Exception($"guest-physical range 0x{address:x}+0x{length:x} is not guest RAM")
{
    public ulong Address { get; } = address;
    public ulong Length { get; } = length;
}
