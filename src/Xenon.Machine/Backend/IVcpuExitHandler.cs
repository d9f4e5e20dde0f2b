namespace Xenon.Machine.Backend;

/// <summary>Completes guest I/O during <see cref="IVcpuBackend.Run"/>. For a read, fill <c>data</c>.
/// The span points into backend-owned memory, valid only during the call.</summary>
public interface IVcpuExitHandler
{
    void PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite);
    void Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite);
}
