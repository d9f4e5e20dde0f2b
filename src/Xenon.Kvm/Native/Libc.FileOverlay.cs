namespace Xenon.Kvm.Native;

// Constants for mapping a saved memory image over guest RAM (HostMemoryFileOverlay); values from <sys/mman.h>
// and <asm-generic/mman-common.h> on x86-64.
internal static partial class Libc
{
    internal const int MAP_FIXED = 0x10;
    internal const int MADV_WILLNEED = 3;

    /// <summary>Linux 5.14+: fault the range in for reading (populate page tables) without writing to it.</summary>
    internal const int MADV_POPULATE_READ = 22;
}
