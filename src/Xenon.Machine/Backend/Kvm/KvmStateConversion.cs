using Xenon.Kvm.Abi;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>Field-by-field conversion between the machine's vCPU state and KVM's structs.</summary>
public static partial class KvmStateConversion
{
    public static KvmRegs ToKvm(in X86Registers r) => new()
    {
        Rax = r.Rax, Rbx = r.Rbx, Rcx = r.Rcx, Rdx = r.Rdx,
        Rsi = r.Rsi, Rdi = r.Rdi, Rsp = r.Rsp, Rbp = r.Rbp,
        R8 = r.R8, R9 = r.R9, R10 = r.R10, R11 = r.R11,
        R12 = r.R12, R13 = r.R13, R14 = r.R14, R15 = r.R15,
        Rip = r.Rip, Rflags = r.Rflags,
    };

    public static X86Registers FromKvm(in KvmRegs r) => new()
    {
        Rax = r.Rax, Rbx = r.Rbx, Rcx = r.Rcx, Rdx = r.Rdx,
        Rsi = r.Rsi, Rdi = r.Rdi, Rsp = r.Rsp, Rbp = r.Rbp,
        R8 = r.R8, R9 = r.R9, R10 = r.R10, R11 = r.R11,
        R12 = r.R12, R13 = r.R13, R14 = r.R14, R15 = r.R15,
        Rip = r.Rip, Rflags = r.Rflags,
    };

    /// <summary>Converts segment, table and control registers. <paramref name="interruptBitmap"/> (KVM's pending
    /// external interrupt) has no machine-level field, so the caller passes through what KVM last reported.</summary>
    public static KvmSregs ToKvm(in X86SpecialRegisters s, in KvmSregs interruptBitmap = default)
    {
        var k = interruptBitmap;
        k.Cs = ToKvm(s.Cs);
        k.Ds = ToKvm(s.Ds);
        k.Es = ToKvm(s.Es);
        k.Fs = ToKvm(s.Fs);
        k.Gs = ToKvm(s.Gs);
        k.Ss = ToKvm(s.Ss);
        k.Tr = ToKvm(s.Tr);
        k.Ldt = ToKvm(s.Ldt);
        k.Gdt = new KvmDtable { Base = s.Gdt.Base, Limit = s.Gdt.Limit };
        k.Idt = new KvmDtable { Base = s.Idt.Base, Limit = s.Idt.Limit };
        k.Cr0 = s.Cr0;
        k.Cr2 = s.Cr2;
        k.Cr3 = s.Cr3;
        k.Cr4 = s.Cr4;
        k.Cr8 = s.Cr8;
        k.Efer = s.Efer;
        k.ApicBase = s.ApicBase;
        return k;
    }

    public static X86SpecialRegisters FromKvm(in KvmSregs k) => new()
    {
        Cs = FromKvm(k.Cs), Ds = FromKvm(k.Ds), Es = FromKvm(k.Es), Fs = FromKvm(k.Fs),
        Gs = FromKvm(k.Gs), Ss = FromKvm(k.Ss), Tr = FromKvm(k.Tr), Ldt = FromKvm(k.Ldt),
        Gdt = new X86DescriptorTable { Base = k.Gdt.Base, Limit = k.Gdt.Limit },
        Idt = new X86DescriptorTable { Base = k.Idt.Base, Limit = k.Idt.Limit },
        Cr0 = k.Cr0, Cr2 = k.Cr2, Cr3 = k.Cr3, Cr4 = k.Cr4, Cr8 = k.Cr8,
        Efer = k.Efer, ApicBase = k.ApicBase,
    };

    public static KvmSegment ToKvm(in X86Segment s) => new()
    {
        Base = s.Base,
        Limit = s.Limit,
        Selector = s.Selector,
        Type = s.Type,
        Present = Bit(s.Present),
        Dpl = s.Dpl,
        Db = Bit(s.DefaultBig),
        S = Bit(!s.System), // X86Segment.System means a system descriptor (TSS, LDT): the S bit clear
        L = Bit(s.Long),
        G = Bit(s.Granularity),
        Avl = Bit(s.Available),
        Unusable = Bit(s.Unusable),
    };

    public static X86Segment FromKvm(in KvmSegment k) => new()
    {
        Base = k.Base,
        Limit = k.Limit,
        Selector = k.Selector,
        Type = k.Type,
        Present = k.Present != 0,
        Dpl = k.Dpl,
        DefaultBig = k.Db != 0,
        System = k.S == 0,
        Long = k.L != 0,
        Granularity = k.G != 0,
        Available = k.Avl != 0,
        Unusable = k.Unusable != 0,
    };

    public static KvmCpuidEntry2 ToKvm(in CpuidEntry e) => new()
    {
        Function = e.Function,
        Index = e.Index,
        Flags = e.Indexed ? KvmCpuidEntry2.FlagSignificantIndex : 0,
        Eax = e.Eax,
        Ebx = e.Ebx,
        Ecx = e.Ecx,
        Edx = e.Edx,
    };

    public static CpuidEntry FromKvm(in KvmCpuidEntry2 k)
        => new(k.Function, k.Index, (k.Flags & KvmCpuidEntry2.FlagSignificantIndex) != 0, k.Eax, k.Ebx, k.Ecx, k.Edx);

    private static byte Bit(bool b) => b ? (byte)1 : (byte)0;
}
