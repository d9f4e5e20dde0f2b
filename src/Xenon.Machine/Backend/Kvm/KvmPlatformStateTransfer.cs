using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.State;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>Moves a <see cref="PlatformState"/> out of and into KVM's in-kernel PIC pair, IOAPIC, PIT and kvmclock.</summary>
internal static class KvmPlatformStateTransfer
{
    public static PlatformState Capture(KvmVm vm) => new()
    {
        PicMaster = KvmStateConversion.FromKvm(vm.GetIrqchip(KvmIrqchip.PicMaster).Pic),
        PicSlave = KvmStateConversion.FromKvm(vm.GetIrqchip(KvmIrqchip.PicSlave).Pic),
        Ioapic = KvmStateConversion.FromKvm(vm.GetIrqchip(KvmIrqchip.Ioapic).IoapicState),
        Pit = KvmStateConversion.FromKvm(vm.GetPit2()),
        ClockNs = vm.GetClock().Clock,
    };

    public static void Restore(KvmVm vm, PlatformState s)
    {
        if (s.Pit.Channels.Length != 3) throw new ArgumentException($"PIT state has {s.Pit.Channels.Length} channels, must be 3");
        if (s.Ioapic.Redirection.Length != IoapicState.Pins) throw new ArgumentException($"IOAPIC state has {s.Ioapic.Redirection.Length} pins, must be {IoapicState.Pins}");
        vm.SetIrqchip(new KvmIrqchip { ChipId = KvmIrqchip.PicMaster, Pic = KvmStateConversion.ToKvm(s.PicMaster) });
        vm.SetIrqchip(new KvmIrqchip { ChipId = KvmIrqchip.PicSlave, Pic = KvmStateConversion.ToKvm(s.PicSlave) });
        RestoreProfile.Mark("pic");
        vm.SetIrqchip(new KvmIrqchip { ChipId = KvmIrqchip.Ioapic, IoapicState = KvmStateConversion.ToKvm(s.Ioapic) });
        RestoreProfile.Mark("ioapic");
        // KVM reloads each PIT count "now" (count_load_time is not restored): a period in progress restarts.
        vm.SetPit2(KvmStateConversion.ToKvm(s.Pit));
        RestoreProfile.Mark("pit");
        // Clock last, after the vCPUs' TSC writes (a TSC write can refresh KVM's master clock, which would shift a
        // kvmclock value set before it). No KVM_CLOCK_REALTIME: the guest's clock resumes from the captured value
        // instead of jumping over the time the machine was stopped.
        vm.SetClock(new KvmClockData { Clock = s.ClockNs });
        RestoreProfile.Mark("clock");
    }
}
