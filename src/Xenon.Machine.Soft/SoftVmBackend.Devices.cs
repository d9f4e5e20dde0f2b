using Xenon.Machine.Memory;

namespace Xenon.Machine.Soft;

/// <summary>What the soft backend needs from the machine's devices: their writes into guest RAM (DMA into virtio
/// buffers, used rings, discarded balloon pages) must drop decoded code, as the vCPUs' own writes do. KVM needs no
/// such thing (the hardware fetches guest code from RAM every time).</summary>
public sealed partial class SoftVmBackend : IGuestMemoryWriteObserver
{
    /// <summary>Installs this backend as the write observer of its <see cref="GuestMemory"/>, so that every
    /// <see cref="GuestMemory.NotifyWritten"/> from a device reaches <see cref="CodePages"/>. Call once, before the
    /// devices run (DomainBuilder does).</summary>
    public void ObserveDeviceWrites() => _memory.WriteObserver = this;

    void IGuestMemoryWriteObserver.OnGuestMemoryWritten(ulong gpa, int length) => CodePages.NotifyWrite(gpa, length);
}
