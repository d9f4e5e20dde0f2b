using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>MSRs the machine adds through <see cref="Cpu.ExtraMsrs"/>, and the KVM hypervisor leaves of <see cref="CpuidModel.KvmClock"/>.</summary>
public sealed class MsrExtensionTests
{
    private sealed class FakeMsrs : IMsrExtension
    {
        public ulong Value;
        public int TscChanges;

        public bool TryRead(uint msr, out ulong value)
        {
            value = Value;
            return msr == 0x4b56_4d01;
        }

        public bool TryWrite(uint msr, ulong value)
        {
            if (msr != 0x4b56_4d01) return false;
            Value = value;
            return true;
        }

        public void TscChanged() => TscChanges++;
    }

    private static TestMachine Machine(Action<Assembler> emit)
    {
        var m = new TestMachine();
        m.Load(TestMachine.CodeBase, m.Assemble(TestMachine.CodeBase, emit));
        m.S.Rip = TestMachine.CodeBase;
        return m;
    }

    [Fact]
    public void WrmsrAndRdmsrReachTheExtensionAndUnknownMsrsStillFault()
    {
        var m = Machine(a =>
        {
            a.mov(ecx, 0x4b56_4d01);
            a.mov(eax, 0x1234_5001);
            a.mov(edx, 0x7);
            a.wrmsr();
            a.xor(eax, eax);
            a.xor(edx, edx);
            a.rdmsr();
            a.mov(r8, rax);
            a.mov(r9, rdx);
            a.mov(ecx, 0x10); // IA32_TSC: the extension hears about it
            a.wrmsr();
            a.hlt();
        });
        var fake = new FakeMsrs();
        m.Cpu.ExtraMsrs = fake;
        Assert.Equal(RunExit.Halted, m.Cpu.Run(1000));
        Assert.Equal(0x7_1234_5001UL, fake.Value);
        Assert.Equal(0x1234_5001UL, m.S.Gpr[8]);
        Assert.Equal(7UL, m.S.Gpr[9]);
        Assert.Equal(1, fake.TscChanges);

        // an index neither the core nor the extension knows: #GP, as before
        Assert.False(m.Cpu.ReadMsr(0x4b56_4d02, out _));
        Assert.False(m.Cpu.WriteMsr(0x4b56_4d02, 1));
        m.Cpu.ExtraMsrs = null;
        Assert.False(m.Cpu.ReadMsr(0x4b56_4d01, out _));
    }

    [Fact]
    public void TheKvmLeavesAppearOnlyWithKvmClock()
    {
        var plain = new CpuidModel();
        plain.QueryModel(0x4000_0000, 0, out uint eax, out uint ebx, out _, out _);
        Assert.Equal(0x4000_0000u, eax);
        Assert.NotEqual(0x4b4d_564bu, ebx);
        plain.QueryModel(0x4000_0001, 0, out eax, out _, out _, out _);
        Assert.Equal(0u, eax);

        var kvm = new CpuidModel { KvmClock = true };
        kvm.QueryModel(0x4000_0000, 0, out eax, out ebx, out uint ecx, out uint edx);
        Assert.Equal(0x4000_0001u, eax);
        Assert.Equal((0x4b4d_564bu, 0x564b_4d56u, 0x0000_004du), (ebx, ecx, edx)); // "KVMKVMKVM\0\0\0"
        kvm.QueryModel(0x4000_0001, 0, out eax, out ebx, out ecx, out edx);
        Assert.Equal((1u << 3) | (1u << 24), eax); // CLOCKSOURCE2 and the stable bit, nothing else
        Assert.Equal((0u, 0u, 0u), (ebx, ecx, edx));
    }

    [Fact]
    public void ArchCapabilitiesAndInvariantTscAreOfferedOnlyWhenAsked()
    {
        var plain = new TestMachine();
        Assert.False(plain.Cpu.ReadMsr(0x10A, out _));
        plain.Cpu.Cpuid.QueryModel(7, 0, out _, out _, out _, out uint edx7);
        Assert.Equal(0u, edx7 & (1u << 29));
        plain.Cpu.Cpuid.QueryModel(0x8000_0007, 0, out _, out _, out _, out uint edx87);
        Assert.Equal(0u, edx87);

        var m = new TestMachine(cpuid: new CpuidModel { ArchCapabilities = CpuidModel.NotAffected, InvariantTsc = true });
        Assert.True(m.Cpu.ReadMsr(0x10A, out ulong caps));
        Assert.Equal(CpuidModel.NotAffected, caps);
        Assert.NotEqual(0UL, caps & 1); // RDCL_NO: no page table isolation
        Assert.False(m.Cpu.WriteMsr(0x10A, 0)); // read-only
        m.Cpu.Cpuid.QueryModel(7, 0, out _, out _, out _, out edx7);
        Assert.Equal(1u << 29, edx7);
        m.Cpu.Cpuid.QueryModel(7, 1, out _, out _, out _, out edx7);
        Assert.Equal(0u, edx7); // subleaf 1 stays empty
        m.Cpu.Cpuid.QueryModel(0x8000_0007, 0, out _, out _, out _, out edx87);
        Assert.Equal(1u << 8, edx87);
    }
}
