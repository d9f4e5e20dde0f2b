using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.State;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>
/// Moves a <see cref="VcpuState"/> out of and into a KVM vCPU. KVM's state ioctls are not independent of each other, so
/// the order of the calls is part of the contract; each step says why it sits where it is. The orders follow what
/// QEMU (kvm_arch_put_registers / kvm_arch_get_registers) and Firecracker (vCPU save_state / restore_state) do and the
/// dependencies in KVM's x86.c that they document.
/// </summary>
internal static class KvmVcpuStateTransfer
{
    public static VcpuState Capture(KvmVcpu vcpu, KvmStateSupport support)
    {
        var s = new VcpuState();
        // 1. MP state first: KVM_GET_MP_STATE processes pending INIT/SIPI (kvm_apic_accept_events), which can change
        //    the registers and the LAPIC that the later reads return.
        s.RunState = (VcpuRunState)vcpu.GetMpState();
        s.Cpuid = FromKvm(vcpu.GetCpuid());
        s.Registers = KvmStateConversion.FromKvm(vcpu.GetRegs());
        var sregs = vcpu.GetSregs();
        s.SpecialRegisters = KvmStateConversion.FromKvm(sregs);
        s.PendingInterrupts = PendingInterrupts(sregs);
        s.Fpu = KvmStateConversion.FromKvm(vcpu.GetFpu());
        if (support.XsaveSize > 0)
        {
            s.Xsave = new byte[support.XsaveSize];
            vcpu.GetXsave(s.Xsave);
        }
        if (support.Xcrs) s.Xcrs = FromKvm(vcpu.GetXcrs());
        if (support.DebugRegs) s.DebugRegisters = KvmStateConversion.FromKvm(vcpu.GetDebugRegs());
        // 2. LAPIC before the MSRs, so TSC_DEADLINE is read against the timer mode it belongs to.
        vcpu.GetLapic(out var lapic);
        s.Lapic = LapicBytes(lapic);
        s.Msrs = ReadMsrs(vcpu, support.Msrs);
        if (support.GetTscKhz) s.TscKhz = vcpu.GetTscKhz();
        // 3. Events last: the reads above may themselves queue or complete events (as KVM_GET_MP_STATE can).
        if (support.VcpuEvents) s.Events = KvmStateConversion.FromKvm(vcpu.GetVcpuEvents());
        return s;
    }

    public static void Restore(KvmVcpu vcpu, KvmStateSupport support, VcpuState s, int index)
    {
        // 1. CPUID first: KVM checks CR4 and EFER bits, XSAVE components and MSRs against the guest's CPUID.
        //    (KVM refuses a different table once the vCPU has run; an identical one is accepted.)
        RestoreProfile.Mark("support");
        if (s.Cpuid.Length > 0) vcpu.SetCpuid(ToKvm(s.Cpuid));
        RestoreProfile.Mark("cpuid");
        // 2. TSC frequency before the TSC: it scales what the TSC MSR means. Without TSC control (as on this
        //    project's hosts) the guest keeps the host's rate: exact on the same host, drifts across hosts.
        if (s.TscKhz != 0 && support.TscControl && support.GetTscKhz && vcpu.GetTscKhz() != s.TscKhz) vcpu.SetTscKhz(s.TscKhz);
        // 3. SREGS before REGS and everything else: they set the CPU mode (CR0/CR4/EFER) that validates the rest,
        //    the APIC base (which the LAPIC restore needs enabled), and the pending external interrupt.
        var sregs = KvmStateConversion.ToKvm(s.SpecialRegisters);
        SetPendingInterrupts(ref sregs, s.PendingInterrupts);
        vcpu.SetSregs(sregs);
        RestoreProfile.Mark("sregs");
        // 4. REGS: KVM_SET_REGS discards a pending exception, so it must precede KVM_SET_VCPU_EVENTS.
        vcpu.SetRegs(KvmStateConversion.ToKvm(s.Registers));
        RestoreProfile.Mark("regs");
        // 5. FPU, then XCR0, then XSAVE: XSAVE supersedes the legacy FPU image, and XCR0 first means the image is
        //    loaded into the component set the guest had enabled.
        vcpu.SetFpu(KvmStateConversion.ToKvm(s.Fpu));
        RestoreProfile.Mark("fpu");
        if (support.Xcrs && s.Xcrs.Length > 0) vcpu.SetXcrs(ToKvm(s.Xcrs));
        RestoreProfile.Mark("xcrs");
        if (support.XsaveSize > 0 && s.Xsave.Length > 0) vcpu.SetXsave(FitXsave(s.Xsave, support.XsaveSize, index));
        RestoreProfile.Mark("xsave");
        if (support.DebugRegs) vcpu.SetDebugRegs(KvmStateConversion.ToKvm(s.DebugRegisters));
        RestoreProfile.Mark("debugregs");
        // 6. LAPIC after SREGS (APIC base MSR) and before the MSRs: KVM applies TSC_DEADLINE only while the LAPIC
        //    timer is in TSC-deadline mode, and silently drops it otherwise.
        vcpu.SetLapic(LapicState(s.Lapic));
        RestoreProfile.Mark("lapic");
        WriteMsrs(vcpu, s.Msrs, index);
        RestoreProfile.Mark("msrs");
        // 7. Events after REGS (which cleared the pending exception) and after the LAPIC (a latched INIT is kept there).
        if (support.VcpuEvents) vcpu.SetVcpuEvents(KvmStateConversion.ToKvm(s.Events));
        RestoreProfile.Mark("events");
        // 8. MP state last: KVM_SET_SREGS can mark a vCPU runnable, and KVM_SET_MP_STATE checks the latched INIT
        //    restored with the events.
        vcpu.SetMpState((KvmMpStateValue)s.RunState);
        RestoreProfile.Mark("mp-state");
    }

    /// <summary>Reads each MSR; one KVM cannot read (it stops at the first failure) is left out, so a capture on a host
    /// that lists an MSR it cannot serve still succeeds with the rest.</summary>
    private static MsrEntry[] ReadMsrs(KvmVcpu vcpu, uint[] indices)
    {
        var entries = new KvmMsrEntry[indices.Length];
        for (int i = 0; i < indices.Length; i++) entries[i].Index = indices[i];
        var read = new List<MsrEntry>(indices.Length);
        int next = 0;
        while (next < entries.Length)
        {
            var rest = entries.AsSpan(next);
            int n = vcpu.GetMsrs(rest);
            for (int i = 0; i < n; i++) read.Add(new MsrEntry(rest[i].Index, rest[i].Data));
            next += n + 1; // skip the one that failed (if n covered everything, this ends the loop)
        }
        return [.. read];
    }

    private static void WriteMsrs(KvmVcpu vcpu, MsrEntry[] msrs, int index)
    {
        if (msrs.Length == 0) return;
        var kvm = new KvmMsrEntry[msrs.Length];
        for (int i = 0; i < msrs.Length; i++) kvm[i] = new KvmMsrEntry { Index = msrs[i].Index, Data = msrs[i].Value };
        int set = vcpu.SetMsrs(kvm);
        if (set < msrs.Length)
            throw new InvalidOperationException(
                $"vcpu{index}: KVM_SET_MSRS refused MSR 0x{msrs[set].Index:x} (value 0x{msrs[set].Value:x}); {set} of {msrs.Length} were restored");
    }

    /// <summary>An image from a host with a different XSAVE size: shorter is padded (absent components are in their
    /// initial state, as the image's XSTATE_BV says); longer is accepted only if the extra part is unused (all zero).</summary>
    private static byte[] FitXsave(byte[] image, int size, int index)
    {
        if (image.Length == size) return image;
        if (image.Length > size && image.AsSpan(size).ContainsAnyExcept((byte)0))
            throw new InvalidOperationException(
                $"vcpu{index}: the saved XSAVE image is {image.Length} bytes with state beyond the {size} bytes this host's KVM takes");
        var fitted = new byte[size];
        image.AsSpan(0, Math.Min(size, image.Length)).CopyTo(fitted);
        return fitted;
    }

    // Loops, not Array.ConvertAll: its instantiation over these two structs (from two assemblies) has no ReadyToRun
    // code, and its JIT ran inside a migration's downtime (60 ms under the nested host's TCG).
    private static CpuidEntry[] FromKvm(KvmCpuidEntry2[] entries)
    {
        var converted = new CpuidEntry[entries.Length];
        for (int i = 0; i < entries.Length; i++) converted[i] = KvmStateConversion.FromKvm(entries[i]);
        return converted;
    }

    private static KvmCpuidEntry2[] ToKvm(CpuidEntry[] entries)
    {
        var converted = new KvmCpuidEntry2[entries.Length];
        for (int i = 0; i < entries.Length; i++) converted[i] = KvmStateConversion.ToKvm(entries[i]);
        return converted;
    }

    private static XcrEntry[] FromKvm(in KvmXcrs k)
    {
        int n = (int)Math.Min(k.NrXcrs, (uint)KvmXcrs.MaxXcrs);
        var xcrs = new XcrEntry[n];
        for (int i = 0; i < n; i++)
        {
            var x = k.Get(i);
            xcrs[i] = new XcrEntry(x.Xcr, x.Value);
        }
        return xcrs;
    }

    private static KvmXcrs ToKvm(XcrEntry[] xcrs)
    {
        if (xcrs.Length > KvmXcrs.MaxXcrs) throw new ArgumentException($"{xcrs.Length} XCRs, KVM takes at most {KvmXcrs.MaxXcrs}");
        var k = new KvmXcrs { NrXcrs = (uint)xcrs.Length };
        for (int i = 0; i < xcrs.Length; i++) k.Set(i, new KvmXcr { Xcr = xcrs[i].Index, Value = xcrs[i].Value });
        return k;
    }

    private static unsafe ulong[] PendingInterrupts(in KvmSregs sregs)
        => [sregs.InterruptBitmap[0], sregs.InterruptBitmap[1], sregs.InterruptBitmap[2], sregs.InterruptBitmap[3]];

    private static unsafe void SetPendingInterrupts(ref KvmSregs sregs, ulong[] words)
    {
        if (words.Length != 4) throw new ArgumentException($"pending-interrupt bitmap has {words.Length} words, must be 4");
        for (int i = 0; i < 4; i++) sregs.InterruptBitmap[i] = words[i];
    }

    private static unsafe byte[] LapicBytes(in KvmLapicState lapic)
    {
        fixed (byte* p = lapic.Regs) return new ReadOnlySpan<byte>(p, VcpuState.LapicSize).ToArray();
    }

    private static unsafe KvmLapicState LapicState(byte[] bytes)
    {
        if (bytes.Length != VcpuState.LapicSize) throw new ArgumentException($"LAPIC page has {bytes.Length} bytes, must be {VcpuState.LapicSize}");
        var lapic = new KvmLapicState();
        // Buffer.MemoryCopy, not the array's CopyTo(Span): that generic has no ReadyToRun code (compiled inside a restore).
        fixed (byte* source = bytes) Buffer.MemoryCopy(source, lapic.Regs, VcpuState.LapicSize, VcpuState.LapicSize);
        return lapic;
    }
}
