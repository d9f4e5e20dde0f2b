using System.Runtime.InteropServices;
using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// One KVM vCPU: its mmap'd kvm_run page, KVM_RUN, and its register state. <see cref="Run"/> and the state
/// accessors belong to the vCPU's own thread; <see cref="Kick"/> may be called from any thread.
/// </summary>
public sealed unsafe partial class KvmVcpu : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly RunPageMapping _runPage;
    private readonly KvmRun* _run;
    private readonly Lock _kickGate = new();
    private nuint _thread;
    private bool _bound;
    private int _inRun;

    internal KvmVcpu(int id, FileDescriptor fd, int mmapSize)
    {
        Id = id;
        _fd = fd;
        _runPage = RunPageMapping.Map(fd, mmapSize);
        _run = (KvmRun*)_runPage.Address;
    }

    public int Id { get; }

    /// <summary>The shared kvm_run page. Valid until <see cref="Dispose"/>.</summary>
    public ref KvmRun RunState => ref *_run;

    public KvmExitReason ExitReason => (KvmExitReason)_run->ExitReason;

    /// <summary>KVM_RUN. True when the guest exited with <see cref="ExitReason"/> to handle; false when the call was
    /// interrupted (a kick, any signal, or <c>immediate_exit</c> set): then <c>exit_reason</c> may be stale, and the
    /// caller should <see cref="ClearImmediateExit"/> and decide what to do next.</summary>
    public bool Run()
    {
        // Dekker-style pairing with Kick: publish "in KVM_RUN" before the kernel reads immediate_exit, so a kick
        // either sees us inside and signals, or set immediate_exit early enough for KVM_RUN to see it.
        Interlocked.Exchange(ref _inRun, 1);
        int rc = Ioctl.TryCall(_fd, KvmIoctls.Run, (nuint)0, out int errno);
        Volatile.Write(ref _inRun, 0);
        if (rc >= 0) return true;
        if (errno is Errno.EINTR or Errno.EAGAIN) return false;
        throw new KvmException("KVM_RUN", errno);
    }

    public void ClearImmediateExit() => Volatile.Write(ref _run->ImmediateExit, 0);

    /// <summary>The data of a KVM_EXIT_IO: <c>count × size</c> bytes inside the run mapping (checked against it).</summary>
    public Span<byte> IoData
    {
        get
        {
            ref readonly var io = ref _run->Io;
            ulong length = (ulong)io.Size * io.Count;
            ulong offset = io.DataOffset;
            if (offset > (ulong)_runPage.Size || length > (ulong)_runPage.Size - offset)
                throw new InvalidOperationException($"KVM_EXIT_IO data {offset}+{length} lies outside the {_runPage.Size}-byte run mapping");
            // bounds checked just above against the mapping's size
            return new Span<byte>((byte*)_run + offset, (int)length);
        }
    }

    /// <summary>The data of a KVM_EXIT_MMIO: <c>len</c> (at most 8) bytes inside the run page.</summary>
    public Span<byte> MmioData
    {
        get
        {
            uint len = _run->Mmio.Len;
            if (len > 8) throw new InvalidOperationException($"KVM_EXIT_MMIO length {len} exceeds 8");
            // len checked just above: the 8-byte data array lies inside struct kvm_run
            return new Span<byte>((byte*)_run + KvmRunMmio.DataOffsetInRun, (int)len);
        }
    }

    /// <summary>Records the calling thread as the one running this vCPU, so <see cref="Kick"/> can signal it.</summary>
    public void BindToCurrentThread()
    {
        VcpuKickSignal.EnsureInstalled();
        lock (_kickGate)
        {
            _thread = VcpuKickSignal.CurrentThreadId();
            _bound = true;
        }
    }

    /// <summary>Forgets the bound thread. Call on the vCPU thread before it ends: signalling an ended thread is undefined.</summary>
    public void Unbind()
    {
        lock (_kickGate) _bound = false;
    }

    /// <summary>Makes the current or next <see cref="Run"/> return false promptly.</summary>
    public void Kick()
    {
        bool added = false;
        try
        {
            _runPage.DangerousAddRef(ref added);
            Volatile.Write(ref _run->ImmediateExit, 1);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _inRun) == 0) return;
            lock (_kickGate)
            {
                if (_bound) VcpuKickSignal.Send(_thread);
            }
        }
        catch (ObjectDisposedException)
        {
            // kicking a vCPU that is already gone has nothing left to interrupt
        }
        finally
        {
            if (added) _runPage.DangerousRelease();
        }
    }

    public KvmRegs GetRegs()
    {
        KvmRegs regs;
        Ioctl.Call(_fd, "KVM_GET_REGS", KvmIoctls.GetRegs, &regs);
        return regs;
    }

    public void SetRegs(in KvmRegs regs)
    {
        fixed (KvmRegs* p = &regs) Ioctl.Call(_fd, "KVM_SET_REGS", KvmIoctls.SetRegs, p);
    }

    public KvmSregs GetSregs()
    {
        KvmSregs sregs;
        Ioctl.Call(_fd, "KVM_GET_SREGS", KvmIoctls.GetSregs, &sregs);
        return sregs;
    }

    public void SetSregs(in KvmSregs sregs)
    {
        fixed (KvmSregs* p = &sregs) Ioctl.Call(_fd, "KVM_SET_SREGS", KvmIoctls.SetSregs, p);
    }

    public KvmFpu GetFpu()
    {
        KvmFpu fpu;
        Ioctl.Call(_fd, "KVM_GET_FPU", KvmIoctls.GetFpu, &fpu);
        return fpu;
    }

    public void SetFpu(in KvmFpu fpu)
    {
        fixed (KvmFpu* p = &fpu) Ioctl.Call(_fd, "KVM_SET_FPU", KvmIoctls.SetFpu, p);
    }

    public void GetLapic(out KvmLapicState state)
    {
        fixed (KvmLapicState* p = &state) Ioctl.Call(_fd, "KVM_GET_LAPIC", KvmIoctls.GetLapic, p);
    }

    public void SetLapic(in KvmLapicState state)
    {
        fixed (KvmLapicState* p = &state) Ioctl.Call(_fd, "KVM_SET_LAPIC", KvmIoctls.SetLapic, p);
    }

    public KvmMpStateValue GetMpState()
    {
        KvmMpState state;
        Ioctl.Call(_fd, "KVM_GET_MP_STATE", KvmIoctls.GetMpState, &state);
        return (KvmMpStateValue)state.MpState;
    }

    public void SetMpState(KvmMpStateValue value)
    {
        var state = new KvmMpState { MpState = (uint)value };
        Ioctl.Call(_fd, "KVM_SET_MP_STATE", KvmIoctls.SetMpState, &state);
    }

    /// <summary>KVM_SET_CPUID2: the CPUID leaves this vCPU's guest will see.</summary>
    public void SetCpuid(ReadOnlySpan<KvmCpuidEntry2> entries)
    {
        fixed (KvmCpuidEntry2* first = entries) SetCpuid(first, entries.Length);
    }

    /// <summary>KVM_SET_CPUID2 with the <paramref name="count"/> entries at <paramref name="entries"/>.</summary>
    private void SetCpuid(KvmCpuidEntry2* entries, int count)
    {
        int bytes = sizeof(KvmCpuid2Header) + count * sizeof(KvmCpuidEntry2);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            ((KvmCpuid2Header*)buffer)->Nent = (uint)count;
            // The buffer holds exactly count entries after the header.
            var table = (KvmCpuidEntry2*)(buffer + sizeof(KvmCpuid2Header));
            for (int i = 0; i < count; i++) table[i] = entries[i];
            Ioctl.Call(_fd, "KVM_SET_CPUID2", KvmIoctls.SetCpuid2, buffer);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>KVM_SET_MSRS. Returns how many entries KVM accepted: it stops at the first it refuses.</summary>
    public int SetMsrs(ReadOnlySpan<KvmMsrEntry> entries)
    {
        fixed (KvmMsrEntry* first = entries) return SetMsrs(first, entries.Length);
    }

    /// <summary>KVM_SET_MSRS with the <paramref name="count"/> entries at <paramref name="entries"/>.</summary>
    private int SetMsrs(KvmMsrEntry* entries, int count)
    {
        byte* buffer = AllocMsrs(count);
        try
        {
            // AllocMsrs sized the buffer for exactly count entries after the header.
            var table = (KvmMsrEntry*)(buffer + sizeof(KvmMsrsHeader));
            for (int i = 0; i < count; i++) table[i] = entries[i];
            return Ioctl.Call(_fd, "KVM_SET_MSRS", KvmIoctls.SetMsrs, buffer);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>KVM_GET_MSRS: fills <see cref="KvmMsrEntry.Data"/> for each given <see cref="KvmMsrEntry.Index"/>.
    /// Returns how many were read (it stops at the first it cannot read).</summary>
    public int GetMsrs(Span<KvmMsrEntry> entries)
    {
        byte* buffer = AllocMsrs(entries.Length);
        try
        {
            var inKernel = new Span<KvmMsrEntry>(buffer + sizeof(KvmMsrsHeader), entries.Length);
            entries.CopyTo(inKernel);
            int n = Ioctl.Call(_fd, "KVM_GET_MSRS", KvmIoctls.GetMsrs, buffer);
            inKernel.CopyTo(entries);
            return n;
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    private static byte* AllocMsrs(int count)
    {
        int bytes = sizeof(KvmMsrsHeader) + count * sizeof(KvmMsrEntry);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        ((KvmMsrsHeader*)buffer)->Nmsrs = (uint)count;
        return buffer;
    }

    /// <summary>KVM_SET_TSC_KHZ (needs KVM_CAP_TSC_CONTROL).</summary>
    public void SetTscKhz(uint khz) => Ioctl.Call(_fd, "KVM_SET_TSC_KHZ", KvmIoctls.SetTscKhz, khz);

    /// <summary>KVM_GET_TSC_KHZ: the guest TSC frequency.</summary>
    public uint GetTscKhz() => (uint)Ioctl.Call(_fd, "KVM_GET_TSC_KHZ", KvmIoctls.GetTscKhz, 0);

    /// <summary>KVM_ENABLE_CAP on the vCPU.</summary>
    public void EnableCap(KvmCapability capability, ulong arg0 = 0)
    {
        var request = new KvmEnableCap { Cap = (uint)capability };
        request.Args[0] = arg0;
        Ioctl.Call(_fd, "KVM_ENABLE_CAP", KvmIoctls.EnableCap, &request);
    }

    public void Dispose()
    {
        Unbind();
        _runPage.Dispose();
        _fd.Dispose();
    }
}
