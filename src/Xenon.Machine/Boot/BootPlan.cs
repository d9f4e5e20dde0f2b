using Xenon.Machine.Backend;

namespace Xenon.Machine.Boot;

public enum BootProtocol
{
    /// <summary>Linux x86 boot protocol, 64-bit entry (bzImage): long mode, RSI = boot_params.</summary>
    Linux64,

    /// <summary>Xen PVH entry (ELF with XEN_ELFNOTE_PHYS32_ENTRY): 32-bit protected mode, EBX = hvm_start_info.</summary>
    Pvh,
}

/// <summary>
/// What a loader decided: where everything was placed in guest memory and the boot vCPU's
/// initial register state. The machine applies the registers; the loader knows nothing of KVM.
/// Application processors need no plan: they start through INIT/SIPI in the in-kernel LAPIC.
/// </summary>
public sealed class BootPlan
{
    public required BootProtocol Protocol { get; init; }
    public required X86Registers Registers { get; init; }
    public required X86SpecialRegisters SpecialRegisters { get; init; }
    public required ulong EntryPoint { get; init; }

    /// <summary>boot_params (Linux64) or hvm_start_info (PVH).</summary>
    public required ulong BootInfoAddress { get; init; }

    /// <summary>First byte and one past the last byte the kernel may use before it reads the memory map.</summary>
    public required ulong KernelStart { get; init; }
    public required ulong KernelEnd { get; init; }

    public required ulong CommandLineAddress { get; init; }
    public required ulong InitrdAddress { get; init; }
    public required ulong InitrdSize { get; init; }
    public required ulong RsdpAddress { get; init; }
}
