namespace Xenon.Machine.Backend;

/// <summary>General-purpose registers, RIP and RFLAGS of one vCPU.</summary>
public struct X86Registers
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;
}

/// <summary>A segment register in its hidden (descriptor-cache) form.</summary>
public struct X86Segment
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type;
    public bool Present, DefaultBig, System, Long, Granularity, Available, Unusable;
    public byte Dpl;
}

public struct X86DescriptorTable
{
    public ulong Base;
    public ushort Limit;
}

/// <summary>Segment, descriptor-table and control registers of one vCPU.</summary>
public struct X86SpecialRegisters
{
    public X86Segment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public X86DescriptorTable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;
}
