using Xenon.Kvm.Abi;
using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;

namespace Xenon.Machine.Tests.Cpu;

/// <summary>vCPU state translation of the KVM backend (lives here with the rest of the vCPU/CPU tests).</summary>
public sealed class KvmStateConversionTests
{
    [Fact]
    public void RegistersRoundTripFieldByField()
    {
        var r = new X86Registers
        {
            Rax = 1, Rbx = 2, Rcx = 3, Rdx = 4, Rsi = 5, Rdi = 6, Rsp = 7, Rbp = 8,
            R8 = 9, R9 = 10, R10 = 11, R11 = 12, R12 = 13, R13 = 14, R14 = 15, R15 = 16,
            Rip = 17, Rflags = 18,
        };
        var k = KvmStateConversion.ToKvm(r);
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18 },
            new[] { k.Rax, k.Rbx, k.Rcx, k.Rdx, k.Rsi, k.Rdi, k.Rsp, k.Rbp, k.R8, k.R9, k.R10, k.R11, k.R12, k.R13, k.R14, k.R15, k.Rip, k.Rflags });
        Assert.Equal(r, KvmStateConversion.FromKvm(k));
    }

    [Fact]
    public void CodeSegmentMapsToKvmBitsAndBack()
    {
        var cs = new X86Segment
        {
            Base = 0x1000, Limit = 0xfffff, Selector = 0x10, Type = 0xb, Present = true, Dpl = 3,
            DefaultBig = false, System = false, Long = true, Granularity = true, Available = true, Unusable = false,
        };
        var k = KvmStateConversion.ToKvm(cs);
        Assert.Equal((0x1000ul, 0xfffffu, (ushort)0x10, (byte)0xb), (k.Base, k.Limit, k.Selector, k.Type));
        Assert.Equal((1, 3, 0, 1, 1, 1, 1, 0), (k.Present, k.Dpl, k.Db, k.S, k.L, k.G, k.Avl, k.Unusable));
        Assert.Equal(cs, KvmStateConversion.FromKvm(k));
    }

    [Fact]
    public void SystemSegmentClearsTheSBit()
    {
        var tss = new X86Segment { Type = 0xb, Present = true, System = true, Limit = 0x67 };
        Assert.Equal(0, KvmStateConversion.ToKvm(tss).S);
        Assert.True(KvmStateConversion.FromKvm(new KvmSegment { S = 0 }).System);
    }

    [Fact]
    public unsafe void SpecialRegistersRoundTripAndKeepThePendingInterruptBitmap()
    {
        var s = new X86SpecialRegisters
        {
            Cs = new X86Segment { Selector = 8, Present = true, Type = 0xb },
            Ds = new X86Segment { Selector = 0x10 },
            Es = new X86Segment { Selector = 0x18 },
            Fs = new X86Segment { Selector = 0x20 },
            Gs = new X86Segment { Selector = 0x28 },
            Ss = new X86Segment { Selector = 0x30 },
            Tr = new X86Segment { Selector = 0x38, System = true },
            Ldt = new X86Segment { Selector = 0, System = true, Unusable = true },
            Gdt = new X86DescriptorTable { Base = 0x500, Limit = 0x27 },
            Idt = new X86DescriptorTable { Base = 0x600, Limit = 0xfff },
            Cr0 = 0x80050033, Cr2 = 0xdead, Cr3 = 0x9000, Cr4 = 0x6a0, Cr8 = 1, Efer = 0xd01, ApicBase = 0xfee00900,
        };
        var current = new KvmSregs();
        current.InterruptBitmap[1] = 1ul << 3; // vector 67 pending in KVM
        var k = KvmStateConversion.ToKvm(s, current);
        Assert.Equal(1ul << 3, k.InterruptBitmap[1]);
        Assert.Equal((0x500ul, (ushort)0x27, 0x600ul, (ushort)0xfff), (k.Gdt.Base, k.Gdt.Limit, k.Idt.Base, k.Idt.Limit));
        Assert.Equal((0x80050033ul, 0xdeadul, 0x9000ul, 0x6a0ul, 1ul, 0xd01ul, 0xfee00900ul), (k.Cr0, k.Cr2, k.Cr3, k.Cr4, k.Cr8, k.Efer, k.ApicBase));
        Assert.Equal(s, KvmStateConversion.FromKvm(k));
    }

    [Fact]
    public void CpuidIndexedFlagMapsToSignificantIndex()
    {
        var e = new CpuidEntry(0xb, 1, true, 1, 2, 3, 4);
        var k = KvmStateConversion.ToKvm(e);
        Assert.Equal(KvmCpuidEntry2.FlagSignificantIndex, k.Flags);
        Assert.Equal(e, KvmStateConversion.FromKvm(k));
        Assert.False(KvmStateConversion.FromKvm(new KvmCpuidEntry2 { Function = 1, Flags = 6 }).Indexed);
    }

    [Theory]
    [InlineData(0x00010000u, 7u, 0x00010700u)] // masked LINT0 → ExtINT, mask kept
    [InlineData(0x00000000u, 4u, 0x00000400u)] // LINT1 → NMI
    [InlineData(0x00000700u, 4u, 0x00000400u)] // previous mode replaced
    public void LapicDeliveryModeReplacesOnlyBits8To10(uint lvt, uint mode, uint expected)
        => Assert.Equal(expected, KvmVcpuBackend.WithDeliveryMode(lvt, mode));

    [Fact]
    public unsafe void InternalErrorDetailNamesSuberrorAndData()
    {
        var e = new KvmRunInternal { Suberror = 1, NData = 2 };
        e.Data[0] = 0x1;
        e.Data[1] = 0xc70f48;
        string text = KvmExitDescription.InternalError(e, 0xfff0);
        Assert.Equal("KVM_EXIT_INTERNAL_ERROR: suberror 1 (emulation failure) at rip 0xfff0, data 0x1 0xc70f48", text);
    }

    [Fact]
    public void InternalErrorWithAbsurdDataCountIsCapped()
    {
        var e = new KvmRunInternal { Suberror = 99, NData = uint.MaxValue };
        string text = KvmExitDescription.InternalError(e, null);
        Assert.StartsWith("KVM_EXIT_INTERNAL_ERROR: suberror 99 (unknown), data", text);
        Assert.Equal(16, text.Split(" 0x").Length - 1);
    }

    [Fact]
    public void UnknownExitReasonsAreNamed()
    {
        Assert.Equal("unhandled KVM exit reason 29 (X86Rdmsr) at rip 0x10", KvmExitDescription.Unexpected(29, 0, 0x10));
        Assert.Equal("unhandled KVM exit reason 999 (unknown)", KvmExitDescription.Unexpected(999, 0, null));
        Assert.Equal("KVM_EXIT_UNKNOWN: hardware exit reason 0x7b", KvmExitDescription.Unexpected(0, 0x7b, null));
    }
}
