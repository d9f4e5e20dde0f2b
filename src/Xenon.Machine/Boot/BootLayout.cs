namespace Xenon.Machine.Boot;

/// <summary>
/// Where the boot structures live in low guest memory. All of it is below the EBDA
/// (0x9fc00) and above the real-mode IVT/BDA, inside the first E820 RAM entry; the kernel
/// reserves that range itself early in boot.
/// </summary>
public static class BootLayout
{
    public const ulong Gdt = 0x500;
    public const ulong PvhStartInfo = 0x6000;
    public const ulong PvhModuleList = 0x6040;
    public const ulong PvhMemoryMap = 0x6080;
    public const ulong BootParams = 0x7000;
    public const ulong BootStackPointer = 0x8ff0;
    public const ulong Pml4 = 0x9000;
    public const ulong Pdpt = 0xa000;

    /// <summary>Four page directories (0xb000–0xefff) map the first 4 GiB with 2 MiB pages.</summary>
    public const ulong PageDirectories = 0xb000;
    public const int PageDirectoryCount = 4;

    public const ulong CommandLine = 0x20000;

    /// <summary>Our own cap on the command line, independent of what the kernel accepts.</summary>
    public const int MaxCommandLine = 0x10000;

    /// <summary>Where the kernel is loaded when it cannot go at its preferred address.</summary>
    public const ulong DefaultKernelLoad = 0x100000;

    public const ulong PageSize = 0x1000;
}
