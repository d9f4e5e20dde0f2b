using System.Buffers.Binary;

namespace Xenon.Machine.Boot;

using L = BootParamsLayout;

/// <summary>The parsed and checked setup header of a Linux x86 bzImage.</summary>
public sealed class SetupHeader
{
    /// <summary>2.12: first protocol with xloadflags (and so a declared 64-bit entry point).</summary>
    public const ushort MinimumVersion = 0x020c;

    private SetupHeader() { }

    /// <summary>Effective number of 512-byte setup sectors (a stored 0 means 4).</summary>
    public int SetupSectors { get; private init; }
    public ushort Version { get; private init; }
    public byte LoadFlags { get; private init; }
    public ushort XLoadFlags { get; private init; }
    public uint SysSize { get; private init; }
    public uint KernelAlignment { get; private init; }
    public bool Relocatable { get; private init; }
    public uint InitSize { get; private init; }
    public ulong PreferredAddress { get; private init; }
    public uint InitrdAddressMax { get; private init; }
    public uint CommandLineSize { get; private init; }

    /// <summary>Bytes before the protected-mode kernel: the boot sector plus the setup sectors.</summary>
    public int SetupSize => (SetupSectors + 1) * 512;

    /// <summary>One past the last setup-header byte this kernel defines (0x202 + the jump's offset byte).</summary>
    public int HeaderEnd { get; private init; }

    public string VersionText => FormatVersion(Version);

    public static SetupHeader Parse(ReadOnlySpan<byte> image) => Parse(image, image.Length);

    /// <summary>Parses the header from the start of a file of <paramref name="fileLength"/> bytes: <paramref name="image"/>
    /// is the file, or its first bytes (at least the boot sector and setup header), so that the kernel itself can be read
    /// from the file straight into guest memory.</summary>
    public static SetupHeader Parse(ReadOnlySpan<byte> image, long fileLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fileLength, image.Length);
        if (image.Length < L.Header + 4 + 2)
            throw new KernelImageException($"not a Linux bzImage: the file is only {fileLength} bytes");
        if (BinaryPrimitives.ReadUInt16LittleEndian(image[L.BootFlag..]) != L.BootFlagValue)
            throw new KernelImageException("not a Linux bzImage: no boot signature 0xAA55 at 0x1FE");
        if (BinaryPrimitives.ReadUInt32LittleEndian(image[L.Header..]) != L.HdrSMagic)
            throw new KernelImageException("not a Linux bzImage: no HdrS magic at 0x202");

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(image[L.Version..]);
        if (version < MinimumVersion)
            throw new KernelImageException($"boot protocol {FormatVersion(version)} is too old: the 64-bit entry needs {FormatVersion(MinimumVersion)} or later");
        if (image.Length < L.HeaderEnd212)
            throw new KernelImageException($"bzImage is truncated inside its setup header ({fileLength} bytes)");

        byte loadFlags = image[L.LoadFlags];
        if ((loadFlags & L.LoadedHigh) == 0)
            throw new KernelImageException("zImage kernels (LOADED_HIGH clear in loadflags) are not supported");
        ushort xloadFlags = BinaryPrimitives.ReadUInt16LittleEndian(image[L.XLoadFlags..]);
        if ((xloadFlags & L.XlfKernel64) == 0)
            throw new KernelImageException("kernel has no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags)");

        int sects = image[L.SetupSects] == 0 ? 4 : image[L.SetupSects];
        int setupSize = (sects + 1) * 512;
        if (fileLength <= setupSize)
            throw new KernelImageException($"bzImage is truncated: {sects} setup sectors need {setupSize} bytes but the file has {fileLength}");

        uint sysSize = BinaryPrimitives.ReadUInt32LittleEndian(image[L.SysSize..]);
        ulong declared = (ulong)sysSize * 16;
        ulong present = (ulong)(fileLength - setupSize);
        // syssize is rounded up to 16-byte paragraphs, so the file may be up to 15 bytes shorter.
        if (declared > present + 15)
            throw new KernelImageException($"bzImage is truncated: syssize declares {declared} bytes of kernel but only {present} follow the setup code");

        bool relocatable = image[L.RelocatableKernel] != 0;
        uint alignment = BinaryPrimitives.ReadUInt32LittleEndian(image[L.KernelAlignment..]);
        if (relocatable && (alignment == 0 || (alignment & (alignment - 1)) != 0))
            throw new KernelImageException($"kernel_alignment 0x{alignment:x} is not a power of two");

        int headerEnd = Math.Min(L.Header + image[L.Jump + 1], L.SetupHeaderLimit);
        return new SetupHeader
        {
            SetupSectors = sects,
            Version = version,
            LoadFlags = loadFlags,
            XLoadFlags = xloadFlags,
            SysSize = sysSize,
            KernelAlignment = alignment,
            Relocatable = relocatable,
            InitSize = BinaryPrimitives.ReadUInt32LittleEndian(image[L.InitSize..]),
            PreferredAddress = BinaryPrimitives.ReadUInt64LittleEndian(image[L.PrefAddress..]),
            InitrdAddressMax = BinaryPrimitives.ReadUInt32LittleEndian(image[L.InitrdAddrMax..]),
            CommandLineSize = BinaryPrimitives.ReadUInt32LittleEndian(image[L.CmdlineSize..]),
            HeaderEnd = Math.Max(headerEnd, L.HeaderEnd212),
        };
    }

    private static string FormatVersion(ushort v) => $"{v >> 8}.{v & 0xff:D2}";
}
