using System.Buffers.Binary;

namespace Xenon.Machine.Tests.Boot;

/// <summary>Builds a minimal bzImage with a correct setup header (boot protocol 2.15 by default) and a patterned kernel body.</summary>
internal sealed class SyntheticBzImage
{
    public byte SetupSects { get; init; } = 4;
    public ushort Version { get; init; } = 0x020f;
    public byte LoadFlags { get; init; } = 0x01;
    public ushort XLoadFlags { get; init; } = 0x03;
    public uint KernelAlignment { get; init; } = 0x200000;
    public bool Relocatable { get; init; } = true;
    public uint CmdlineSize { get; init; } = 2047;
    public uint InitrdAddrMax { get; init; } = 0x7fffffff;
    public ulong PrefAddress { get; init; } = 0x1000000;
    public uint InitSize { get; init; } = 0x2000000;
    public int KernelBytes { get; init; } = 0x10000;

    public int SetupSize => ((SetupSects == 0 ? 4 : SetupSects) + 1) * 512;

    public static byte KernelByte(int i) => (byte)(i * 7 + 3);

    public byte[] Build()
    {
        var image = new byte[SetupSize + KernelBytes];
        var s = image.AsSpan();
        s[0x1f1] = SetupSects;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x1f4..], (uint)((KernelBytes + 15) / 16));
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1fe..], 0xaa55);
        s[0x200] = 0xeb;
        s[0x201] = 0x6a;                       // jump over the header: it ends at 0x26c
        "HdrS"u8.CopyTo(s[0x202..]);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x206..], Version);
        s[0x211] = LoadFlags;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x214..], 0x100000);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x22c..], InitrdAddrMax);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x230..], KernelAlignment);
        s[0x234] = Relocatable ? (byte)1 : (byte)0;
        s[0x235] = 21;                         // min_alignment
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x236..], XLoadFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x238..], CmdlineSize);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x258..], PrefAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x260..], InitSize);
        for (int i = 0; i < KernelBytes; i++) image[SetupSize + i] = KernelByte(i);
        return image;
    }
}
