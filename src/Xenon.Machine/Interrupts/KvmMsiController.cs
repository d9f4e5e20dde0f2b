using Xenon.Kvm;

namespace Xenon.Machine.Interrupts;

/// <summary><see cref="IMsiController"/> over KVM_SIGNAL_MSI: one ioctl a message, no GSI route to maintain.
/// Needs the in-kernel irqchip (<c>IVmBackend.CreateInterruptControllers</c>).</summary>
public sealed class KvmMsiController(KvmVm vm) : IMsiController
{
    private const int EPERM = 1, EINVAL = 22;

    private long _blocked;
    private long _rejected;

    /// <summary>Messages the guest blocked (its local APIC disabled, no CPU matched the destination).
    /// Not an error: real hardware drops such messages too.</summary>
    public long BlockedCount => Interlocked.Read(ref _blocked);

    /// <summary>Messages KVM refused: EINVAL (a malformed message, or no in-kernel irqchip) or EPERM (KVM's -1 for
    /// "no local APIC matched the destination"). Counted, not thrown: the guest programmed the address and data,
    /// and guest input must not stop a device thread.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

    public void SignalMsi(ulong address, uint data)
    {
        try
        {
            if (!vm.SignalMsi(address, data)) Interlocked.Increment(ref _blocked);
        }
        catch (KvmException e) when (e.Errno is EINVAL or EPERM)
        {
            Interlocked.Increment(ref _rejected);
        }
    }
}
