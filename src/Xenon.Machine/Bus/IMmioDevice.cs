namespace Xenon.Machine.Bus;

/// <summary>A device in guest-physical address space. Offsets are relative to the base it was registered at.</summary>
/// <remarks>Called on a vCPU thread; a guest can write anything: never throw on odd offsets or sizes.</remarks>
public interface IMmioDevice
{
    void Read(ulong offset, Span<byte> data);
    void Write(ulong offset, ReadOnlySpan<byte> data);
}
