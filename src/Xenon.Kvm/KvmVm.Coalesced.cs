using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

public sealed unsafe partial class KvmVm
{
    /// <summary>KVM_REGISTER_COALESCED_MMIO with the pio flag: guest writes that fall wholly inside
    /// [<paramref name="port"/>, +<paramref name="length"/>) are queued in the coalesced ring instead of exiting
    /// (KVM_CAP_COALESCED_PIO). Reads still exit.</summary>
    public void RegisterCoalescedPio(ushort port, uint length)
    {
        if (length == 0 || port + length > 0x10000)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"ports 0x{port:x}+{length} must be a non-empty range below 0x10000");
        var zone = new KvmCoalescedMmioZone { Addr = port, Size = length, Pio = 1 };
        Ioctl.Call(_fd, "KVM_REGISTER_COALESCED_MMIO", KvmIoctls.RegisterCoalescedMmio, &zone);
    }
}
