using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>VM-wide device state of the in-kernel PIC pair, IOAPIC and PIT, and the XSAVE image size, for save/restore.</summary>
public sealed unsafe partial class KvmVm
{
    /// <summary>Bytes in a vCPU's XSAVE image: KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on this VM (at least 4096; larger
    /// when dynamic features such as AMX are enabled), 4096 with only KVM_CAP_XSAVE, 0 without XSAVE support.</summary>
    public int XsaveSize
    {
        get
        {
            int size = CheckExtension(KvmCapability.Xsave2);
            if (size >= KvmXsave.LegacySize) return size;
            return CheckExtension(KvmCapability.Xsave) > 0 ? KvmXsave.LegacySize : 0;
        }
    }

    /// <summary>KVM_GET_IRQCHIP for one chip (<see cref="KvmIrqchip.PicMaster"/>, <see cref="KvmIrqchip.PicSlave"/>,
    /// <see cref="KvmIrqchip.Ioapic"/>).</summary>
    public KvmIrqchip GetIrqchip(uint chipId)
    {
        var chip = new KvmIrqchip { ChipId = chipId };
        Ioctl.Call(_fd, "KVM_GET_IRQCHIP", KvmIoctls.GetIrqchip, &chip);
        return chip;
    }

    public void SetIrqchip(in KvmIrqchip chip)
    {
        fixed (KvmIrqchip* p = &chip) Ioctl.Call(_fd, "KVM_SET_IRQCHIP", KvmIoctls.SetIrqchip, p);
    }

    public KvmPitState2 GetPit2()
    {
        KvmPitState2 state;
        Ioctl.Call(_fd, "KVM_GET_PIT2", KvmIoctls.GetPit2, &state);
        return state;
    }

    public void SetPit2(in KvmPitState2 state)
    {
        fixed (KvmPitState2* p = &state) Ioctl.Call(_fd, "KVM_SET_PIT2", KvmIoctls.SetPit2, p);
    }
}
