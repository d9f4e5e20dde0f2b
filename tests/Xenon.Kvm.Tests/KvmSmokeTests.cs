using System.Diagnostics;
using Xenon.Kvm.Abi;

namespace Xenon.Kvm.Tests;

/// <summary>Tiny real-mode guests on the real /dev/kvm. Every guest instruction may be emulated here
/// (kvm_pvm), so each guest is a handful of instructions.</summary>
[Trait("Requires", "Kvm")]
public sealed class KvmSmokeTests
{
    private const ulong MemorySize = 1 << 20;
    private const ulong CodeAddress = 0x1000;

    [Fact]
    public void PortWriteThenHalt()
    {
        using var guest = RealModeGuest.Create([0xB0, 0x42, 0xE6, 0x10, 0xF4]); // mov al,0x42; out 0x10,al; hlt

        Assert.True(guest.Vcpu.Run(), "KVM_RUN was interrupted");
        Assert.Equal(KvmExitReason.Io, guest.Vcpu.ExitReason);
        var io = guest.Vcpu.RunState.Io;
        Assert.Equal(0x10, io.Port);
        Assert.Equal(KvmRunIo.DirectionOut, io.Direction);
        Assert.Equal(1, io.Size);
        Assert.Equal(1u, io.Count);
        Assert.Equal([0x42], guest.Vcpu.IoData.ToArray());

        Assert.True(guest.Vcpu.Run(), "KVM_RUN was interrupted");
        Assert.Equal(KvmExitReason.Hlt, guest.Vcpu.ExitReason);
        Assert.Equal(CodeAddress + 5, guest.Vcpu.GetRegs().Rip);
    }

    [Fact]
    public void WriteOutsideGuestMemoryIsAnMmioExit()
    {
        // mov ax,0xffff; mov ds,ax; mov byte [0x10],0x5a; hlt  → a write to 0x100000, just past RAM
        using var guest = RealModeGuest.Create([0xB8, 0xFF, 0xFF, 0x8E, 0xD8, 0xC6, 0x06, 0x10, 0x00, 0x5A, 0xF4]);

        Assert.True(guest.Vcpu.Run(), "KVM_RUN was interrupted");
        Assert.Equal(KvmExitReason.Mmio, guest.Vcpu.ExitReason);
        var mmio = guest.Vcpu.RunState.Mmio;
        Assert.Equal(0x100000ul, mmio.PhysAddr);
        Assert.Equal(1u, mmio.Len);
        Assert.Equal(1, mmio.IsWrite);
        Assert.Equal([0x5A], guest.Vcpu.MmioData.ToArray());
    }

    [Fact]
    public void KickInterruptsASpinningGuest()
    {
        using var guest = RealModeGuest.Create([0xEB, 0xFE]); // jmp $
        var bound = new ManualResetEventSlim();
        var kickedAt = new Stopwatch();
        bool? interrupted = null;
        KvmExitReason? unexpected = null;
        var thread = new Thread(() =>
        {
            guest.Vcpu.BindToCurrentThread();
            bound.Set();
            try
            {
                while (true)
                {
                    if (!guest.Vcpu.Run())
                    {
                        interrupted = true;
                        guest.Vcpu.ClearImmediateExit();
                        return;
                    }
                    if (guest.Vcpu.ExitReason != KvmExitReason.Intr)
                    {
                        unexpected = guest.Vcpu.ExitReason;
                        return;
                    }
                }
            }
            finally
            {
                guest.Vcpu.Unbind();
            }
        }) { IsBackground = true, Name = "kick-test-vcpu" };
        thread.Start();
        Assert.True(bound.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Thread.Sleep(200); // let it enter KVM_RUN
        kickedAt.Start();
        guest.Vcpu.Kick();
        bool joined = thread.Join(TimeSpan.FromSeconds(1));
        if (!joined) guest.Vcpu.Kick();
        Assert.True(joined, "vCPU thread still in KVM_RUN 1 s after Kick()");
        Assert.Null(unexpected);
        Assert.True(interrupted, "KVM_RUN did not report the interruption");
        Assert.True(kickedAt.Elapsed < TimeSpan.FromSeconds(1), $"kick took {kickedAt.Elapsed}");
    }

    [Fact]
    public void KickBeforeRunMakesTheNextRunReturnAtOnce()
    {
        using var guest = RealModeGuest.Create([0xEB, 0xFE]);
        guest.Vcpu.BindToCurrentThread();
        guest.Vcpu.Kick();
        Assert.False(guest.Vcpu.Run());
        guest.Vcpu.ClearImmediateExit();
        guest.Vcpu.Unbind();
    }

    private sealed class RealModeGuest : IDisposable
    {
        private readonly KvmSystem _kvm;
        private readonly KvmVm _vm;
        private readonly HostMemoryMapping _memory;

        private RealModeGuest(KvmSystem kvm, KvmVm vm, HostMemoryMapping memory, KvmVcpu vcpu)
        {
            _kvm = kvm;
            _vm = vm;
            _memory = memory;
            Vcpu = vcpu;
        }

        public KvmVcpu Vcpu { get; }

        public static unsafe RealModeGuest Create(ReadOnlySpan<byte> code)
        {
            if (!KvmSystem.IsAvailable(out string reason)) Assert.Skip($"no /dev/kvm: {reason}");
            var kvm = KvmSystem.Open();
            var vm = kvm.CreateVm();
            var memory = HostMemoryMapping.CreateMemfd("kvm-smoke", MemorySize);
            code.CopyTo(new Span<byte>((byte*)memory.Address + CodeAddress, code.Length));
            vm.SetUserMemoryRegion(0, 0, MemorySize, memory.Address);
            var vcpu = vm.CreateVcpu(0);

            var sregs = vcpu.GetSregs();
            sregs.Cs.Base = 0;
            sregs.Cs.Selector = 0;
            vcpu.SetSregs(sregs);
            vcpu.SetRegs(new KvmRegs { Rip = CodeAddress, Rflags = 2 });
            return new RealModeGuest(kvm, vm, memory, vcpu);
        }

        public void Dispose()
        {
            Vcpu.Dispose();
            _vm.Dispose();
            _memory.Dispose();
            _kvm.Dispose();
        }
    }
}
