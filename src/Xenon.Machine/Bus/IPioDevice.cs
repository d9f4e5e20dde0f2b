namespace Xenon.Machine.Bus;

/// <summary>A device on the x86 port-I/O bus. Offsets are relative to the base port it was registered at.</summary>
/// <remarks>Called on a vCPU thread; implementations serialise their own state.
/// A guest can write anything: never throw on odd offsets or sizes.</remarks>
public interface IPioDevice
{
    void Read(ushort offset, Span<byte> data);
    void Write(ushort offset, ReadOnlySpan<byte> data);
}
