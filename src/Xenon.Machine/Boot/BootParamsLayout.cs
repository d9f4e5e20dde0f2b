namespace Xenon.Machine.Boot;

/// <summary>
/// Byte offsets in the Linux x86 "zero page" (struct boot_params) and its embedded setup
/// header, from Documentation/arch/x86/boot.rst and zero-page.rst. Setup-header offsets are
/// the same in the bzImage file and in boot_params.
/// </summary>
internal static class BootParamsLayout
{
    public const int Size = 4096;

    // boot_params
    public const int AcpiRsdpAddr = 0x070;
    public const int ExtRamdiskImage = 0x0c0;
    public const int ExtRamdiskSize = 0x0c4;
    public const int ExtCmdLinePtr = 0x0c8;
    public const int E820Entries = 0x1e8;
    public const int SetupHeaderStart = 0x1f1;
    public const int SetupHeaderLimit = 0x290;   // edd_mbr_sig_buffer follows the header
    public const int E820Table = 0x2d0;
    public const int E820EntrySize = 20;

    // setup header
    public const int SetupSects = 0x1f1;
    public const int SysSize = 0x1f4;
    public const int VidMode = 0x1fa;
    public const int BootFlag = 0x1fe;
    public const int Jump = 0x200;
    public const int Header = 0x202;
    public const int Version = 0x206;
    public const int TypeOfLoader = 0x210;
    public const int LoadFlags = 0x211;
    public const int Code32Start = 0x214;
    public const int RamdiskImage = 0x218;
    public const int RamdiskSize = 0x21c;
    public const int HeapEndPtr = 0x224;
    public const int CmdLinePtr = 0x228;
    public const int InitrdAddrMax = 0x22c;
    public const int KernelAlignment = 0x230;
    public const int RelocatableKernel = 0x234;
    public const int XLoadFlags = 0x236;
    public const int CmdlineSize = 0x238;
    public const int PrefAddress = 0x258;
    public const int InitSize = 0x260;
    public const int HeaderEnd212 = 0x26c;   // end of the fields a 2.12 header has

    public const ushort BootFlagValue = 0xaa55;
    public const uint HdrSMagic = 0x53726448; // "HdrS"

    public const byte LoadedHigh = 0x01;
    public const byte KeepSegments = 0x40;
    public const byte CanUseHeap = 0x80;
    public const ushort XlfKernel64 = 0x01;
    public const ushort XlfCanBeLoadedAbove4G = 0x02;

    public const byte LoaderTypeUndefined = 0xff;
    public const ushort VidModeNormal = 0xffff;
    public const ushort HeapEnd = 0xfe00;
}
