using Xenon.Kvm;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>A GSI of the in-kernel irqchip, driven with KVM_IRQ_LINE.</summary>
internal sealed class KvmIrqLine(KvmVm vm, int gsi) : IIrqLine
{
    public int Gsi { get; } = gsi;

    public void SetLevel(bool high) => vm.SetIrqLine((uint)Gsi, high);
}
