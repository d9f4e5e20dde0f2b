namespace Xenon.Emulator.State;

/// <summary>RFLAGS bits.</summary>
public static class RFlags
{
    public const ulong CF = 1 << 0, Fixed1 = 1 << 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
        DF = 1 << 10, OF = 1 << 11, IoplMask = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19,
        VIP = 1 << 20, ID = 1 << 21;

    /// <summary>The six status flags the ALU computes (lazily).</summary>
    public const ulong Arith = CF | PF | AF | ZF | SF | OF;

    /// <summary>Bits software can ever set (no VM86: VM, VIF, VIP stay 0).</summary>
    public const ulong Writable = Arith | TF | IF | DF | IoplMask | NT | RF | AC | ID;
}

/// <summary>Control register, EFER and page-table bits used by the MMU and the mode logic.</summary>
public static class ControlBits
{
    public const ulong Cr0PE = 1, Cr0MP = 2, Cr0EM = 4, Cr0TS = 8, Cr0ET = 0x10, Cr0NE = 0x20, Cr0WP = 1 << 16, Cr0AM = 1 << 18,
        Cr0NW = 1 << 29, Cr0CD = 1 << 30, Cr0PG = 1UL << 31;
    public const ulong Cr4VME = 1, Cr4PVI = 2, Cr4TSD = 4, Cr4DE = 8, Cr4PSE = 0x10, Cr4PAE = 0x20, Cr4MCE = 0x40, Cr4PGE = 0x80,
        Cr4PCE = 0x100, Cr4OSFXSR = 0x200, Cr4OSXMMEXCPT = 0x400;
    public const ulong EferSCE = 1, EferLME = 1 << 8, EferLMA = 1 << 10, EferNXE = 1 << 11;
}

/// <summary>MSR indices the CPU implements.</summary>
public static class Msr
{
    public const uint Tsc = 0x10, ApicBase = 0x1B, MtrrCap = 0xFE, SysenterCs = 0x174, SysenterEsp = 0x175, SysenterEip = 0x176,
        MiscEnable = 0x1A0, Pat = 0x277, MtrrDefType = 0x2FF, Efer = 0xC0000080, Star = 0xC0000081, Lstar = 0xC0000082,
        Cstar = 0xC0000083, Sfmask = 0xC0000084, FsBase = 0xC0000100, GsBase = 0xC0000101, KernelGsBase = 0xC0000102,
        TscAux = 0xC0000103, ArchCapabilities = 0x10A;
}
