using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xenon.Emulator.State;
using Xenon.Machine.Backend;
using Xenon.Machine.State;

namespace Xenon.Machine.Soft;

/// <summary>Register and state access: the machine's backend-neutral forms to and from the emulator's <see cref="CpuState"/>.
/// Called on the vCPU's thread while it is not inside <see cref="Run"/>.</summary>
public sealed partial class SoftVcpuBackend
{
    // KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW: the groups this backend reports.
    private const uint EventsValid = 0x1 | 0x4;

    // MSRs a state capture carries (EFER, FS/GS base and APIC base travel in the special registers).
    private static readonly uint[] SavedMsrs =
    [
        Msr.SysenterCs, Msr.SysenterEsp, Msr.SysenterEip, Msr.Star, Msr.Lstar, Msr.Cstar, Msr.Sfmask, Msr.KernelGsBase,
        Msr.TscAux, Msr.Pat, Msr.MiscEnable, Msr.MtrrDefType, Msr.Tsc,
        Clock.KvmClock.MsrSystemTimeNew, Clock.KvmClock.MsrWallClockNew, // after the TSC: the page is published once
    ];

    public void SetCpuid(ReadOnlySpan<CpuidEntry> entries)
    {
        _cpuid = entries.ToArray();
        _cpu.Cpuid.SetTable(SoftCpuid.Mask(entries, _cpu.Cpuid, localApic: _apic is not null));
    }

    public X86Registers GetRegisters()
    {
        ref var g = ref _cpu.State.Gpr;
        return new X86Registers
        {
            Rax = g[0], Rcx = g[1], Rdx = g[2], Rbx = g[3], Rsp = g[4], Rbp = g[5], Rsi = g[6], Rdi = g[7],
            R8 = g[8], R9 = g[9], R10 = g[10], R11 = g[11], R12 = g[12], R13 = g[13], R14 = g[14], R15 = g[15],
            Rip = _cpu.State.Rip,
            Rflags = _cpu.GetRflags(),
        };
    }

    public void SetRegisters(in X86Registers r)
    {
        ref var g = ref _cpu.State.Gpr;
        (g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]) = (r.Rax, r.Rcx, r.Rdx, r.Rbx, r.Rsp, r.Rbp, r.Rsi, r.Rdi);
        (g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]) = (r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15);
        _cpu.State.Rip = r.Rip;
        _cpu.SetRflags(r.Rflags);
        _cpu.State.Halted = false;
        // a boot configuration that sets registers makes the vCPU runnable (KVM's APs need INIT/SIPI; here nobody sends them)
        _runState = VcpuRunState.Runnable;
    }

    public X86SpecialRegisters GetSpecialRegisters()
    {
        var s = _cpu.State;
        return new X86SpecialRegisters
        {
            Es = ToSegment(s.Segments[Seg.Es]), Cs = ToSegment(s.Segments[Seg.Cs]), Ss = ToSegment(s.Segments[Seg.Ss]),
            Ds = ToSegment(s.Segments[Seg.Ds]), Fs = ToSegment(s.Segments[Seg.Fs]), Gs = ToSegment(s.Segments[Seg.Gs]),
            Tr = ToSegment(s.Tr), Ldt = ToSegment(s.Ldtr),
            Gdt = new X86DescriptorTable { Base = s.Gdtr.Base, Limit = s.Gdtr.Limit },
            Idt = new X86DescriptorTable { Base = s.Idtr.Base, Limit = s.Idtr.Limit },
            Cr0 = s.Cr0, Cr2 = s.Cr2, Cr3 = s.Cr3, Cr4 = s.Cr4, Cr8 = _apic?.TaskPriorityClass ?? s.Cr8, Efer = s.Efer, ApicBase = s.ApicBase,
        };
    }

    public void SetSpecialRegisters(in X86SpecialRegisters r)
    {
        var s = _cpu.State;
        s.Segments[Seg.Es] = FromSegment(r.Es);
        s.Segments[Seg.Cs] = FromSegment(r.Cs);
        s.Segments[Seg.Ss] = FromSegment(r.Ss);
        s.Segments[Seg.Ds] = FromSegment(r.Ds);
        s.Segments[Seg.Fs] = FromSegment(r.Fs);
        s.Segments[Seg.Gs] = FromSegment(r.Gs);
        s.Tr = FromSegment(r.Tr);
        s.Ldtr = FromSegment(r.Ldt);
        s.Gdtr = new DescriptorTableRegister { Base = r.Gdt.Base, Limit = r.Gdt.Limit };
        s.Idtr = new DescriptorTableRegister { Base = r.Idt.Base, Limit = r.Idt.Limit };
        (s.Cr0, s.Cr2, s.Cr3, s.Cr4, s.Cr8, s.Efer, s.ApicBase) = (r.Cr0, r.Cr2, r.Cr3, r.Cr4, r.Cr8, r.Efer, r.ApicBase);
        if (_apic is not null) _apic.TaskPriorityClass = r.Cr8 & 0xF; // CR8 is the APIC's TPR[7:4], as KVM_SET_SREGS sets it
        _cpu.StateChanged();
    }

    internal static X86Segment ToSegment(in SegmentRegister s)
    {
        int a = s.Attributes;
        return new X86Segment
        {
            Base = s.Base, Limit = s.Limit, Selector = s.Selector,
            Type = (byte)(a & 0xf), System = (a & 0x10) == 0, Dpl = (byte)((a >> 5) & 3), Present = (a & 0x80) != 0,
            Available = (a & 0x100) != 0, Long = (a & 0x200) != 0, DefaultBig = (a & 0x400) != 0, Granularity = (a & 0x800) != 0,
            Unusable = (a & 0x80) == 0,
        };
    }

    internal static SegmentRegister FromSegment(in X86Segment s)
    {
        int a = (s.Type & 0xf) | (s.System ? 0 : 0x10) | ((s.Dpl & 3) << 5) | (s.Present && !s.Unusable ? 0x80 : 0) |
                (s.Available ? 0x100 : 0) | (s.Long ? 0x200 : 0) | (s.DefaultBig ? 0x400 : 0) | (s.Granularity ? 0x800 : 0);
        return new SegmentRegister { Base = s.Base, Limit = s.Limit, Selector = s.Selector, Attributes = (ushort)a };
    }

    public void SetMsrs(ReadOnlySpan<MsrEntry> msrs)
    {
        for (int i = 0; i < msrs.Length; i++)
            if (!_cpu.WriteMsr(msrs[i].Index, msrs[i].Value))
                throw new InvalidOperationException(
                    $"the soft CPU refused MSR 0x{msrs[i].Index:x} (value 0x{msrs[i].Value:x}) on vcpu{Index}; {i} of {msrs.Length} were set");
    }

    public void ResetFpu()
    {
        var s = _cpu.State;
        s.Fcw = 0x37f;
        s.Fsw = 0;
        s.Ftw = 0;
        s.Mxcsr = 0x1f80;
    }

    public VcpuState GetState()
    {
        var s = _cpu.State;
        var fpu = new FpuState { Fcw = s.Fcw, Fsw = s.Fsw, Ftw = s.Ftw, LastOpcode = s.Fop, LastIp = s.Fip, LastDp = s.Fdp, Mxcsr = s.Mxcsr };
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteUInt128LittleEndian(fpu.Registers.AsSpan(i * 16), s.St[i]);
        MemoryMarshal.AsBytes<System.Runtime.Intrinsics.Vector128<ulong>>(s.Xmm).CopyTo(fpu.Xmm);

        var msrs = new List<MsrEntry>(SavedMsrs.Length);
        foreach (uint index in SavedMsrs)
            if (_cpu.ReadMsr(index, out ulong v)) msrs.Add(new MsrEntry(index, v));

        return new VcpuState
        {
            Cpuid = [.. _cpuid],
            Registers = GetRegisters(),
            SpecialRegisters = GetSpecialRegisters(),
            Fpu = fpu,
            Msrs = [.. msrs],
            Lapic = _apic?.Capture() ?? new byte[VcpuState.LapicSize],
            Events = new VcpuEvents
            {
                InterruptShadow = s.InterruptShadow ? (byte)2 : (byte)0,
                NmiPending = _cpu.NmiPending,
                NmiMasked = _cpu.NmiBlocked,
                ValidFlags = EventsValid,
            },
            DebugRegisters = new X86DebugRegisters { Dr0 = s.Dr0, Dr1 = s.Dr1, Dr2 = s.Dr2, Dr3 = s.Dr3, Dr6 = s.Dr6, Dr7 = s.Dr7 },
            RunState = _runState is VcpuRunState.Uninitialized or VcpuRunState.InitReceived ? _runState
                : s.Halted ? VcpuRunState.Halted : VcpuRunState.Runnable,
            TscKhz = (uint)(System.Diagnostics.Stopwatch.Frequency / 1000),
        };
    }

    public void SetState(VcpuState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        SetCpuid(state.Cpuid);
        SetSpecialRegisters(state.SpecialRegisters);
        SetRegisters(state.Registers);
        var s = _cpu.State;
        var f = state.Fpu;
        (s.Fcw, s.Fsw, s.Ftw, s.Fop, s.Fip, s.Fdp, s.Mxcsr) = (f.Fcw, f.Fsw, f.Ftw, f.LastOpcode, f.LastIp, f.LastDp, f.Mxcsr);
        if (f.Registers.Length == 128)
            for (int i = 0; i < 8; i++) s.St[i] = BinaryPrimitives.ReadUInt128LittleEndian(f.Registers.AsSpan(i * 16));
        if (f.Xmm.Length == 256) f.Xmm.AsSpan().CopyTo(MemoryMarshal.AsBytes((Span<System.Runtime.Intrinsics.Vector128<ulong>>)s.Xmm));
        SetMsrs(state.Msrs);
        s.InterruptShadow = state.Events.InterruptShadow != 0;
        _cpu.NmiPending = state.Events.NmiPending;
        _cpu.NmiBlocked = state.Events.NmiMasked;
        var d = state.DebugRegisters;
        (s.Dr0, s.Dr1, s.Dr2, s.Dr3, s.Dr6, s.Dr7) = (d.Dr0, d.Dr1, d.Dr2, d.Dr3, d.Dr6, d.Dr7);
        // the page after the special registers: it carries the TPR that SetSpecialRegisters took from CR8
        if (_apic is not null) _apic.Restore(state.Lapic);
        _runState = state.RunState switch
        {
            VcpuRunState.Uninitialized => VcpuRunState.Uninitialized,
            // KVM's "SIPI received" is an AP about to start from the registers it was given: runnable here
            VcpuRunState.InitReceived => _apic is null ? VcpuRunState.Uninitialized : VcpuRunState.InitReceived,
            _ => VcpuRunState.Runnable,
        };
        s.Halted = state.RunState == VcpuRunState.Halted;
        _cpu.StateChanged();
    }
}
