using Xenon.Emulator.Execution;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;

namespace Xenon.Machine.Tests.Soft;

/// <summary>The backend adapter without a guest program: register conversion, CPUID masking, kicks, the dirty log.</summary>
public sealed class SoftBackendTests
{
    [Fact]
    public void SegmentsRoundTripThroughTheEmulatorsForm()
    {
        var seg = new X86Segment
        {
            Base = 0x1234_5000, Limit = 0xfffff, Selector = 0x2b, Type = 0xb, Present = true, Dpl = 3, Long = true,
            Granularity = true, Available = true,
        };
        var back = SoftVcpuBackend.ToSegment(SoftVcpuBackend.FromSegment(seg));
        Assert.Equal(seg, back);
        var tss = new X86Segment { Base = 0xffff_8000_0000_0000, Limit = 0x67, Selector = 0x40, Type = 0xb, Present = true, System = true };
        Assert.Equal(tss, SoftVcpuBackend.ToSegment(SoftVcpuBackend.FromSegment(tss)));
        var unusable = new X86Segment { Unusable = true };
        Assert.True(SoftVcpuBackend.ToSegment(SoftVcpuBackend.FromSegment(unusable)).Unusable);
    }

    [Fact]
    public void RegistersAndStateRoundTrip()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        backend.CreateInterruptControllers();
        using var v = backend.CreateVcpu(0);
        var r = new X86Registers { Rax = 1, Rbx = 2, Rcx = 3, Rdx = 4, Rsi = 5, Rdi = 6, Rsp = 7, Rbp = 8, R8 = 9, R15 = 16, Rip = 0x1234, Rflags = 0x202 | 0x40 | 0x1 };
        v.SetRegisters(r);
        Assert.Equal(r, v.GetRegisters());
        v.SetMsrs([new MsrEntry(0xc0000082, 0xffff_ffff_8100_0000), new MsrEntry(0xc0000102, 0x42)]);
        var state = v.GetState();
        Assert.Contains(new MsrEntry(0xc0000082, 0xffff_ffff_8100_0000), state.Msrs);
        using var w = backend.CreateVcpu(0);
        w.SetState(state);
        Assert.Equal(r, w.GetRegisters());
        Assert.Contains(new MsrEntry(0xc0000102, 0x42), w.GetState().Msrs);
    }

    [Fact]
    public void AnUnknownMsrIsRefusedLikeKvmDoes()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        using var v = backend.CreateVcpu(0);
        Assert.Throws<InvalidOperationException>(() => v.SetMsrs([new MsrEntry(0x4b564d02, 1)])); // async PF: not offered
    }

    [Fact]
    public void CpuidHidesWhatTheEmulatorDoesNotExecute()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        var supported = backend.GetSupportedCpuid();
        var table = Xenon.Machine.Cpu.CpuidBuilder.Build(supported, 0, 0, 1);
        // as if a host CPU's features had leaked in: AVX (leaf 1 ECX 28), x2APIC, AVX2 (leaf 7 EBX 5)
        for (int i = 0; i < table.Length; i++)
        {
            if (table[i].Function == 1) table[i] = table[i] with { Ecx = table[i].Ecx | (1u << 28) | (1u << 21) };
            if (table[i].Function == 7) table[i] = table[i] with { Ebx = table[i].Ebx | (1u << 5) };
        }
        using var v = (SoftVcpuBackend)backend.CreateVcpu(0);
        v.SetCpuid(table);
        var model = v.Cpu.Cpuid;
        model.Query(1, 0, out _, out _, out uint ecx, out uint edx);
        Assert.Equal(0u, ecx & ((1u << 28) | (1u << 21)));
        Assert.Equal(0u, edx & (1u << 9)); // no local APIC yet
        Assert.NotEqual(0u, edx & (1u << 25)); // SSE stays
        model.Query(7, 0, out _, out uint ebx7, out _, out _);
        Assert.Equal(0u, ebx7 & (1u << 5));
        model.Query(0x4000_0000, 0, out _, out uint hb, out _, out _);
        Assert.Equal(0x4b4d_564bu, hb); // "KVMK": kvmclock is offered
        model.Query(0x4000_0001, 0, out uint features, out _, out _, out _);
        Assert.Equal(CpuidModel.KvmFeatures, features); // and only kvmclock, whatever the builder asked for
        // a TSC Linux trusts: an Intel vendor string (family 6 model 15) with invariant TSC, and ARCH_CAPABILITIES
        model.Query(0, 0, out _, out uint vb, out uint vc, out uint vd);
        Assert.Equal((0x756e_6547u, 0x6c65_746eu, 0x4965_6e69u), (vb, vc, vd)); // "GenuineIntel"
        model.Query(0x8000_0007, 0, out _, out _, out _, out uint power);
        Assert.Equal(1u << 8, power);
        model.Query(7, 0, out _, out _, out _, out uint edx7);
        Assert.NotEqual(0u, edx7 & (1u << 29));
    }

    [Fact]
    public void AKickBeforeRunMakesRunReturnInterrupted()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        backend.CreateInterruptControllers();
        using var v = backend.CreateVcpu(0);
        v.SetRegisters(new X86Registers { Rip = 0x1000, Rflags = 2 }); // zeros: ADD [BX+SI], AL forever
        v.Kick();
        Assert.Equal(VcpuExitKind.Interrupted, v.Run(new NullHandler()).Kind);
    }

    [Fact]
    public void AKickFromAnotherThreadStopsARunningVcpuAndAHaltedOne()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        memory.Write(0x1000, new byte[] { 0xeb, 0xfe }); // jmp $
        memory.Write(0x2000, new byte[] { 0xfb, 0xf4, 0xeb, 0xfd }); // sti; hlt; jmp back to hlt
        using var backend = new SoftVmBackend(memory);
        backend.CreateInterruptControllers();
        using var v = backend.CreateVcpu(0);
        foreach (ulong rip in new ulong[] { 0x1000, 0x2000 })
        {
            var s = v.GetSpecialRegisters();
            s.Cs.Base = 0; s.Cs.Selector = 0;
            v.SetSpecialRegisters(s);
            v.SetRegisters(new X86Registers { Rip = rip, Rflags = 2 });
            using var kicker = new Timer(_ => v.Kick(), null, 100, Timeout.Infinite);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(VcpuExitKind.Interrupted, v.Run(new NullHandler()).Kind);
            Assert.InRange(sw.ElapsedMilliseconds, 50, 2000);
        }
    }

    [Fact]
    public void WithoutInterruptControllersHltIsAHaltExit()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        memory.Write(0x1000, new byte[] { 0xfb, 0xf4 }); // sti; hlt
        using var backend = new SoftVmBackend(memory);
        using var v = backend.CreateVcpu(0);
        var s = v.GetSpecialRegisters();
        s.Cs.Base = 0; s.Cs.Selector = 0;
        v.SetSpecialRegisters(s);
        v.SetRegisters(new X86Registers { Rip = 0x1000, Rflags = 2 });
        Assert.Equal(VcpuExitKind.Halt, v.Run(new NullHandler()).Kind);
    }

    [Fact]
    public void TheDirtyLogHoldsTheWrittenPagesOfALoggedRegion()
    {
        using var memory = GuestMemory.Create([(0UL, 0x41000UL)]);
        using var backend = new SoftVmBackend(memory);
        backend.ObserveDeviceWrites();
        backend.MapMemory(memory.Regions[0], logDirty: false);
        var bits = new ulong[2];
        Assert.Throws<InvalidOperationException>(() => backend.GetAndClearDirtyLog(memory.Regions[0], bits));
        backend.MapMemory(memory.Regions[0], logDirty: true);
        backend.GetAndClearDirtyLog(memory.Regions[0], bits);
        Assert.Equal([0UL, 0UL], bits);
        memory.Write(0x40010, 7UL); // a device's write (GuestMemory tells its observer)
        memory.Write(0x3000, 7UL);
        backend.GetAndClearDirtyLog(memory.Regions[0], bits);
        Assert.Equal(1UL << 3, bits[0]);
        Assert.Equal(1UL, bits[1]);
        backend.GetAndClearDirtyLog(memory.Regions[0], bits);
        Assert.Equal([0UL, 0UL], bits);
        backend.MapMemory(memory.Regions[0], logDirty: false);
        Assert.False(backend.CodePages.DirtyLogging);
    }

    [Fact]
    public void AnAddedWriteObserverSitsBesideTheSoftBackendAndLeavesIt()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        backend.ObserveDeviceWrites();
        var extra = new RecordingObserver();
        memory.AddWriteObserver(extra);
        memory.AddWriteObserver(extra); // once only
        backend.MapMemory(memory.Regions[0], logDirty: true);
        memory.Write(0x2000, 1UL);
        Assert.Equal([(0x2000UL, 8)], extra.Writes);
        var bits = new ulong[1];
        backend.GetAndClearDirtyLog(memory.Regions[0], bits);
        Assert.Equal(1UL << 2, bits[0]);
        memory.RemoveWriteObserver(extra);
        Assert.Same(backend, memory.WriteObserver);
        memory.Write(0x3000, 1UL);
        Assert.Single(extra.Writes);
        backend.GetAndClearDirtyLog(memory.Regions[0], bits);
        Assert.Equal(1UL << 3, bits[0]);
        memory.RemoveWriteObserver(backend);
        Assert.Null(memory.WriteObserver);
    }

    private sealed class RecordingObserver : IGuestMemoryWriteObserver
    {
        public List<(ulong, int)> Writes { get; } = [];
        public void OnGuestMemoryWritten(ulong gpa, int length) => Writes.Add((gpa, length));
    }

    private sealed class NullHandler : IVcpuExitHandler
    {
        public void PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite) { }
        public void Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite) { }
    }
}
