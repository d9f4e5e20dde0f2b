using Xenon.Machine.Acpi;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Boot;

/// <summary>
/// One call for the machine: ACPI tables, memory map and kernel (ELF with a PVH note, or
/// bzImage) into guest memory; returns the boot vCPU's plan.
/// </summary>
public static class DirectKernelBoot
{
    public static BootPlan Prepare(GuestMemory memory, ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> initrd,
        string commandLine, int vcpus, int maxVcpus)
    {
        ulong rsdp = AcpiTableBuilder.Write(memory, vcpus, maxVcpus);
        var map = E820Map.ForGuest(memory);
        return ElfKernel.HasElfMagic(kernel)
            ? PvhLoader.Load(memory, kernel, initrd, commandLine, map, rsdp)
            : BzImageLoader.Load(memory, kernel, initrd, commandLine, map, rsdp);
    }

    /// <summary>The same for a kernel opened with <see cref="KernelImage.Open"/> (a bzImage's payload and an ELF's
    /// segments are read from the file straight into guest memory).</summary>
    public static BootPlan Prepare(GuestMemory memory, KernelImage kernel, ReadOnlySpan<byte> initrd,
        string commandLine, int vcpus, int maxVcpus)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ulong rsdp = AcpiTableBuilder.Write(memory, vcpus, maxVcpus);
        if (kernel.IsElf) return PvhLoader.Load(memory, kernel, initrd, commandLine, E820Map.ForGuest(memory), rsdp);
        return BzImageLoader.Load(memory, kernel, initrd, commandLine, E820Map.ForGuest(memory), rsdp);
    }
}
