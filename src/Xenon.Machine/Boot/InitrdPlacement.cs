using Xenon.Machine.Memory;

namespace Xenon.Machine.Boot;

/// <summary>
/// Puts the initrd as high as possible in low RAM, page-aligned, above the memory the kernel
/// needs while it decompresses and initialises, the way boot loaders do.
/// </summary>
internal static class InitrdPlacement
{
    /// <param name="lowest">First byte the initrd may occupy (the kernel's end).</param>
    /// <param name="highestEnd">One past the last byte it may occupy (e.g. initrd_addr_max + 1).</param>
    /// <returns>The guest-physical address the initrd was written to, or 0 if it is empty.</returns>
    public static ulong Place(GuestMemory memory, E820Map map, ReadOnlySpan<byte> initrd, ulong lowest, ulong highestEnd)
    {
        if (initrd.IsEmpty) return 0;
        ulong size = (ulong)initrd.Length;
        ulong top = Math.Min(highestEnd, map.LowRamEnd);
        ulong floor = AlignUp(lowest, BootLayout.PageSize);
        if (top < size || ((top - size) & ~(BootLayout.PageSize - 1)) < floor)
            throw new BootException(
                $"initrd of {size} bytes does not fit between the kernel's end 0x{floor:x} and 0x{top:x}; give the guest more memory or use a smaller initrd");
        ulong address = (top - size) & ~(BootLayout.PageSize - 1);
        if (!map.IsRam(address, size))
            throw new BootException($"initrd at 0x{address:x}+0x{size:x} would not be in RAM");
        memory.Write(address, initrd);
        return address;
    }

    internal static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
