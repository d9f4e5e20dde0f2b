using Xenon.Kvm;
using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.IoEvents;

/// <summary>A KVM VM with 1 MiB of RAM and one vCPU in real mode at CS:IP 0:<see cref="CodeAddress"/>; skips the
/// test when /dev/kvm is missing. Guests are a few hand-encoded instructions (each may be emulated here).</summary>
internal sealed class TinyRealModeGuest : IDisposable
{
    public const ulong CodeAddress = 0x1000;

    private TinyRealModeGuest(KvmVmBackend backend, GuestMemory memory, IVcpuBackend vcpu)
    {
        Backend = backend;
        Memory = memory;
        Vcpu = vcpu;
    }

    public KvmVmBackend Backend { get; }

    public GuestMemory Memory { get; }

    public IVcpuBackend Vcpu { get; }

    public KvmVcpu KvmVcpu => ((KvmVcpuBackend)Vcpu).Vcpu;

    public static TinyRealModeGuest Boot(ReadOnlySpan<byte> code, bool irqchip)
    {
        if (!KvmSystem.IsAvailable(out string reason)) Assert.Skip($"no /dev/kvm: {reason}");
        var backend = new KvmVmBackend();
        var memory = GuestMemory.Create([(0ul, 1ul << 20)]);
        memory.Write(CodeAddress, code);
        backend.MapMemory(memory.Regions[0], logDirty: false);
        if (irqchip) backend.CreateInterruptControllers();
        var vcpu = backend.CreateVcpu(0);
        vcpu.SetCpuid(Xenon.Machine.Cpu.CpuidBuilder.Build(backend.GetSupportedCpuid(), 0, 0, 1));
        var guest = new TinyRealModeGuest(backend, memory, vcpu);
        guest.Restart();
        return guest;
    }

    /// <summary>Puts the vCPU back at the start of the code, in real mode with CS base 0.</summary>
    public void Restart()
    {
        var sregs = Vcpu.GetSpecialRegisters();
        sregs.Cs.Base = 0;
        sregs.Cs.Selector = 0;
        Vcpu.SetSpecialRegisters(sregs);
        Vcpu.SetRegisters(new X86Registers { Rip = CodeAddress, Rflags = 2 });
        Vcpu.ResetFpu();
    }

    public void Dispose()
    {
        Vcpu.Dispose();
        Backend.Dispose();
        Memory.Dispose();
    }
}

/// <summary>Records every port and MMIO access the vCPU exits for; port reads return 0x99.</summary>
internal sealed class RecordingExitHandler : IVcpuExitHandler
{
    private readonly List<string> _log = [];

    public string[] Log
    {
        get
        {
            lock (_log) return [.. _log];
        }
    }

    public void PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite)
    {
        if (!isWrite) data.Fill(0x99);
        lock (_log) _log.Add($"pio {(isWrite ? "w" : "r")} 0x{port:x} {Convert.ToHexString(data)}");
    }

    public void Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite)
    {
        if (!isWrite) data.Fill(0x99);
        lock (_log) _log.Add($"mmio {(isWrite ? "w" : "r")} 0x{address:x} {Convert.ToHexString(data)}");
    }
}
