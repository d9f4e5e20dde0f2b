namespace Xenon.Emulator.Memory;

/// <summary>
/// The guest-physical address space as the CPU sees it: RAM reached directly, anything else (MMIO, holes) through
/// callbacks. The emulator never splits a request across a 4 KiB page boundary, so an implementation can assume RAM
/// regions are page-aligned.
/// </summary>
public interface IPhysicalMemory
{
    /// <summary>The host bytes backing [gpa, gpa+length), or an empty span if that range is not entirely RAM.</summary>
    Span<byte> GetRam(ulong gpa, int length);

    /// <summary>A read of 1, 2, 4 or 8 bytes from non-RAM; unbacked addresses read as all ones.</summary>
    ulong ReadMmio(ulong gpa, int size);

    /// <summary>A write of 1, 2, 4 or 8 bytes to non-RAM; writes to unbacked addresses are dropped.</summary>
    void WriteMmio(ulong gpa, int size, ulong value);
}

/// <summary>
/// A memory whose RAM stays at the same host address for its whole life (mapped host memory, a pinned array): the
/// CPU may then keep a host pointer per RAM page in its TLB and load and store there directly. The spans
/// <see cref="IPhysicalMemory.GetRam"/> returns must point into that stable memory.
/// </summary>
public interface IStableRam : IPhysicalMemory;

/// <summary>Port I/O as the CPU issues it (IN/OUT/INS/OUTS).</summary>
public interface IPortIo
{
    uint In(ushort port, int size);
    void Out(ushort port, int size, uint value);
}

/// <summary>The local interrupt controller as the CPU polls it between instructions.</summary>
public interface IInterruptSource
{
    /// <summary>True if a maskable interrupt is waiting (the CPU takes it when RFLAGS.IF = 1 and no interrupt shadow).</summary>
    bool HasPendingInterrupt { get; }

    /// <summary>Acknowledges the highest-priority pending interrupt and returns its vector (the INTA cycle).</summary>
    int AcknowledgeInterrupt();
}

/// <summary>
/// An interrupt source that owns the task priority (a local APIC): MOV CR8 reads and writes its TPR[7:4], so CR8 and the
/// memory-mapped TPR stay one register, as on hardware.
/// </summary>
public interface ITaskPriority
{
    /// <summary>CR8: the priority class (0–15) below which maskable interrupts are held back.</summary>
    ulong TaskPriorityClass { get; set; }
}
