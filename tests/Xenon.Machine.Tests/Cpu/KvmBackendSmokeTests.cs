using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Cpu;

/// <summary>The KVM backend on the real /dev/kvm with a few real-mode instructions (each may be emulated here).</summary>
[Trait("Requires", "Kvm")]
public sealed class KvmBackendSmokeTests
{
    private const ulong CodeAddress = 0x1000;

    private sealed class RecordingHandler : IVcpuExitHandler
    {
        public readonly List<string> Log = [];

        public void PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite)
        {
            if (!isWrite) data.Fill(0x99);
            Log.Add($"pio {(isWrite ? "w" : "r")} 0x{port:x} {Convert.ToHexString(data)} vcpu{vcpu}");
        }

        public void Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite)
            => Log.Add($"mmio {(isWrite ? "w" : "r")} 0x{address:x} {Convert.ToHexString(data)} vcpu{vcpu}");
    }

    private static (KvmVmBackend Backend, GuestMemory Memory, IVcpuBackend Vcpu) Boot(ReadOnlySpan<byte> code, bool irqchip)
    {
        if (!KvmSystem.IsAvailable(out string reason)) Assert.Skip($"no /dev/kvm: {reason}");
        var backend = new KvmVmBackend();
        var memory = GuestMemory.Create([(0ul, 1ul << 20)]);
        memory.Write(CodeAddress, code);
        backend.MapMemory(memory.Regions[0], logDirty: false);
        if (irqchip) backend.CreateInterruptControllers();
        var vcpu = backend.CreateVcpu(0);
        vcpu.SetCpuid(Xenon.Machine.Cpu.CpuidBuilder.Build(backend.GetSupportedCpuid(), 0, 0, 1));
        var sregs = vcpu.GetSpecialRegisters();
        sregs.Cs.Base = 0;
        sregs.Cs.Selector = 0;
        vcpu.SetSpecialRegisters(sregs);
        vcpu.SetRegisters(new X86Registers { Rip = CodeAddress, Rflags = 2 });
        vcpu.ResetFpu();
        return (backend, memory, vcpu);
    }

    [Fact]
    public void PortAndMmioAccessesReachTheHandlerAndInputReachesTheGuest()
    {
        // mov al,0x42; out 0x10,al; in al,0x11; out 0x12,al; mov ax,0xffff; mov ds,ax; mov byte [0x10],0x5a; hlt
        byte[] code = [0xB0, 0x42, 0xE6, 0x10, 0xE4, 0x11, 0xE6, 0x12, 0xB8, 0xFF, 0xFF, 0x8E, 0xD8, 0xC6, 0x06, 0x10, 0x00, 0x5A, 0xF4];
        var (backend, memory, vcpu) = Boot(code, irqchip: false);
        using var _ = backend;
        using var __ = memory;
        using var ___ = vcpu;
        var handler = new RecordingHandler();
        VcpuExit exit;
        int runs = 0;
        do exit = vcpu.Run(handler);
        while (exit.Kind == VcpuExitKind.Io && ++runs < 10);

        Assert.Equal(VcpuExitKind.Halt, exit.Kind);
        Assert.Equal(["pio w 0x10 42 vcpu0", "pio r 0x11 99 vcpu0", "pio w 0x12 99 vcpu0", "mmio w 0x100000 5A vcpu0"], handler.Log);
    }

    [Fact]
    public void KickInterruptsASpinningGuestWithInKernelIrqchip()
    {
        var (backend, memory, vcpu) = Boot([0xEB, 0xFE], irqchip: true); // jmp $
        using var _ = backend;
        using var __ = memory;
        using var ___ = vcpu;

        var lapicVcpu = ((KvmVcpuBackend)vcpu).Vcpu;
        lapicVcpu.GetLapic(out var lapic);
        Assert.Equal(7u, (lapic.GetRegister(KvmLapicState.LvtLint0) >> 8) & 7);
        Assert.Equal(4u, (lapic.GetRegister(KvmLapicState.LvtLint1) >> 8) & 7);

        VcpuExit? result = null;
        var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            vcpu.BindToCurrentThread();
            started.Set();
            var handler = new RecordingHandler();
            VcpuExit exit;
            do exit = vcpu.Run(handler);
            while (exit.Kind == VcpuExitKind.Io);
            result = exit;
            ((KvmVcpuBackend)vcpu).Vcpu.Unbind();
        }) { IsBackground = true };
        thread.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Thread.Sleep(200);
        vcpu.Kick();
        bool joined = thread.Join(TimeSpan.FromSeconds(1));
        if (!joined) vcpu.Kick();
        Assert.True(joined, "vCPU still running 1 s after Kick()");
        Assert.Equal(VcpuExitKind.Interrupted, result?.Kind);
    }

    [Fact]
    public void IrqLinesNeedTheIrqchipAndStayInRange()
    {
        if (!KvmSystem.IsAvailable(out string reason)) Assert.Skip($"no /dev/kvm: {reason}");
        using var backend = new KvmVmBackend();
        Assert.Throws<InvalidOperationException>(() => backend.GetIrqLine(4));
        backend.CreateInterruptControllers();
        var line = backend.GetIrqLine(4);
        Assert.Equal(4, line.Gsi);
        Assert.Same(line, backend.GetIrqLine(4));
        line.Pulse();
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.GetIrqLine(24));
    }
}
