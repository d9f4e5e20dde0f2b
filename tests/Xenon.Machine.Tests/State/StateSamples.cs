using Xenon.Machine.Backend;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.State;

/// <summary>States with every field set to a distinct non-default value, so a field the codec drops or swaps shows.</summary>
internal static class StateSamples
{
    public static VcpuState Vcpu()
    {
        var s = new VcpuState
        {
            Cpuid = [new CpuidEntry(0, 0, false, 0xd, 1, 2, 3), new CpuidEntry(7, 1, true, 4, 5, 6, 7)],
            Registers = new X86Registers
            {
                Rax = 1, Rbx = 2, Rcx = 3, Rdx = 4, Rsi = 5, Rdi = 6, Rsp = 7, Rbp = 8, R8 = 9, R9 = 10, R10 = 11, R11 = 12,
                R12 = 13, R13 = 14, R14 = 15, R15 = 16, Rip = 0xffff_ffff_8100_0000, Rflags = 0x246,
            },
            SpecialRegisters = new X86SpecialRegisters
            {
                Cs = new X86Segment { Base = 0x10, Limit = 0xfffff, Selector = 0x10, Type = 11, Present = true, Long = true, Granularity = true, Dpl = 0 },
                Ds = new X86Segment { Selector = 0x18, Type = 3, Present = true, DefaultBig = true },
                Es = new X86Segment { Selector = 0x18, Type = 3, Available = true },
                Fs = new X86Segment { Base = 0x7fff_0000, Selector = 0x2b, Type = 3, Dpl = 3 },
                Gs = new X86Segment { Base = 0xffff_8880_0000_0000, Type = 3 },
                Ss = new X86Segment { Selector = 0x18, Type = 3, Present = true },
                Tr = new X86Segment { Base = 0x5000, Limit = 0x67, Selector = 0x40, Type = 11, System = true, Present = true },
                Ldt = new X86Segment { Unusable = true, System = true, Type = 2 },
                Gdt = new X86DescriptorTable { Base = 0x1000, Limit = 0x7f },
                Idt = new X86DescriptorTable { Base = 0x2000, Limit = 0xfff },
                Cr0 = 0x8005_0033, Cr2 = 0xdead, Cr3 = 0x3000, Cr4 = 0x3606e0, Cr8 = 2, Efer = 0xd01, ApicBase = 0xfee0_0900,
            },
            PendingInterrupts = [0, 1UL << 48, 0, 0],
            Xsave = Pattern(4096, 7),
            Xcrs = [new XcrEntry(0, 7)],
            Msrs = [new MsrEntry(0x10, 123_456_789), new MsrEntry(0xc000_0082, 0xffff_ffff_8100_1000), new MsrEntry(0x6e0, 42)],
            Lapic = Pattern(VcpuState.LapicSize, 3),
            Events = new VcpuEvents
            {
                ExceptionInjected = true, ExceptionVector = 14, ExceptionHasErrorCode = true, ExceptionErrorCode = 2,
                ExceptionHasPayload = true, ExceptionPayload = 0xdead_b000, InterruptInjected = true, InterruptVector = 0x30,
                InterruptSoft = true, InterruptShadow = 2, NmiPending = true, NmiMasked = true, SipiVector = 9,
                SmiLatchedInit = true, TripleFaultPending = true, ValidFlags = 0x0d,
            },
            DebugRegisters = new X86DebugRegisters { Dr0 = 1, Dr1 = 2, Dr2 = 3, Dr3 = 4, Dr6 = 0xffff0ff0, Dr7 = 0x400 },
            RunState = VcpuRunState.Halted,
            TscKhz = 2_500_000,
        };
        s.Fpu.Fcw = 0x37f;
        s.Fpu.Fsw = 0x1234;
        s.Fpu.Ftw = 0x80;
        s.Fpu.LastOpcode = 0x7ff;
        s.Fpu.LastIp = 0x4000;
        s.Fpu.LastDp = 0x5000;
        s.Fpu.Mxcsr = 0x1f80;
        Pattern(128, 11).CopyTo(s.Fpu.Registers, 0);
        Pattern(256, 13).CopyTo(s.Fpu.Xmm, 0);
        return s;
    }

    public static PlatformState Platform()
    {
        var s = new PlatformState
        {
            PicMaster = new PicState { Irr = 1, Imr = 0xfe, Isr = 4, IrqBase = 0x20, Init4 = 1, Elcr = 0x08, ElcrMask = 0xf8 },
            PicSlave = new PicState { Imr = 0xff, IrqBase = 0x28, InitState = 2, AutoEoi = 1, SpecialMask = 1 },
            ClockNs = 9_876_543_210,
        };
        s.Ioapic.BaseAddress = 0xfec0_0000;
        s.Ioapic.IoRegSel = 0x10;
        s.Ioapic.Id = 1;
        s.Ioapic.Irr = 0x100;
        for (int i = 0; i < IoapicState.Pins; i++) s.Ioapic.Redirection[i] = 0x1_0000UL | (ulong)(0x20 + i);
        s.Pit.Channels[0] = new PitChannelState { Count = 11932, Mode = 2, RwMode = 3, Gate = 1, Status = 0x34 };
        s.Pit.Channels[1] = new PitChannelState { Count = 0x10000, Mode = 0, LatchedCount = 7, CountLatched = 1 };
        s.Pit.Channels[2] = new PitChannelState { Count = 1, Mode = PitChannelState.NeverProgrammed, Bcd = 1, WriteState = 1, ReadState = 2, WriteLatch = 5, StatusLatched = 1 };
        s.Pit.Flags = 2;
        return s;
    }

    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * seed + 1);
        return b;
    }
}
