using System.Runtime.InteropServices;
using Xenon.Machine.State;
using static Xenon.Machine.Soft.Apic.ApicRegisters;

namespace Xenon.Machine.Soft.Apic;

/// <summary>The register page to and from <see cref="VcpuState.Lapic"/>, in KVM's <c>kvm_lapic_state</c> layout: a state
/// captured here restores on KVM and the other way round.</summary>
internal sealed partial class LocalApic
{
    /// <summary>The page with the timer's current count in TMCCT (as KVM_GET_LAPIC reports it). The vCPU is stopped.</summary>
    public byte[] Capture()
    {
        var page = new byte[VcpuState.LapicSize];
        lock (_lock)
        {
            uint current = CurrentCount(ApicClock.Now());
            MemoryMarshal.AsBytes(_regs.AsSpan()).CopyTo(page);
            MemoryMarshal.Cast<byte, uint>(page.AsSpan())[TimerCurrent >> 2] = current;
        }
        return page;
    }

    /// <summary>Loads a captured page. Only the bits a guest could have written survive (a hostile or foreign page
    /// cannot set read-only bits); the timer continues from the saved current count, measured from now.</summary>
    public void Restore(ReadOnlySpan<byte> page)
    {
        if (page.Length != VcpuState.LapicSize)
            throw new ArgumentException($"LAPIC page has {page.Length} bytes, must be {VcpuState.LapicSize}", nameof(page));
        var saved = MemoryMarshal.Cast<byte, uint>(page);
        lock (_lock)
        {
            Reg(Id) = saved[Id >> 2] & 0xFF00_0000;
            Reg(VersionRegister) = VersionValue;
            Reg(Tpr) = saved[Tpr >> 2] & 0xFF;
            Reg(Ldr) = saved[Ldr >> 2] & 0xFF00_0000;
            Reg(Dfr) = saved[Dfr >> 2] | 0x0FFF_FFFF;
            Reg(Svr) = saved[Svr >> 2] & 0x3FF;
            Reg(Esr) = saved[Esr >> 2] & 0xEC;
            Reg(IcrLow) = saved[IcrLow >> 2] & 0x000C_DFFF;
            Reg(IcrHigh) = saved[IcrHigh >> 2] & 0xFF00_0000;
            Reg(LvtTimer) = saved[LvtTimer >> 2] & LvtTimerMask;
            Reg(LvtThermal) = saved[LvtThermal >> 2] & LvtThermalPerfMask;
            Reg(LvtPerf) = saved[LvtPerf >> 2] & LvtThermalPerfMask;
            Reg(LvtLint0) = saved[LvtLint0 >> 2] & LvtLintMask;
            Reg(LvtLint1) = saved[LvtLint1 >> 2] & LvtLintMask;
            Reg(LvtError) = saved[LvtError >> 2] & LvtErrorMask;
            Reg(TimerDivide) = saved[TimerDivide >> 2] & 0xB;
            Reg(TimerInitial) = saved[TimerInitial >> 2];
            for (int word = 0; word < 8; word++)
            {
                int o = word * 0x10;
                Reg(Isr + o) = saved[(Isr + o) >> 2];
                Reg(Tmr + o) = saved[(Tmr + o) >> 2];
                Reg(Irr + o) = saved[(Irr + o) >> 2];
            }
            // vectors 0-15 cannot be requested or in service
            Reg(Isr) &= ~0xFFFFu;
            Reg(Irr) &= ~0xFFFFu;
            Reg(Tmr) &= ~0xFFFFu;
            _esrPending = 0;
            // a one-shot at 0 has expired; a periodic timer keeps going whatever its count read
            uint current = saved[TimerCurrent >> 2];
            bool periodic = (Reg(LvtTimer) & TimerPeriodic) != 0;
            if (current != 0 || periodic) StartTimer(ApicClock.Now(), current == 0 ? null : current);
            else StopTimer();
            Update();
        }
        if (_interruptPending) Host.InterruptPending();
    }
}
