using System.Buffers.Binary;
using Xenon.Machine.Boot;

namespace Xenon.Machine.Tests.Boot;

public sealed class SetupHeaderTests
{
    [Fact]
    public void ParsesAWellFormedHeader()
    {
        var h = SetupHeader.Parse(new SyntheticBzImage().Build());
        Assert.Equal(4, h.SetupSectors);
        Assert.Equal(2560, h.SetupSize);
        Assert.Equal("2.15", h.VersionText);
        Assert.True(h.Relocatable);
        Assert.Equal(0x1000000UL, h.PreferredAddress);
        Assert.Equal(0x2000000u, h.InitSize);
        Assert.Equal(2047u, h.CommandLineSize);
        Assert.Equal(0x26c, h.HeaderEnd);
    }

    [Fact]
    public void ZeroSetupSectorsMeansFour()
        => Assert.Equal(4, SetupHeader.Parse(new SyntheticBzImage { SetupSects = 0 }.Build()).SetupSectors);

    private static string Reject(byte[] image) => Assert.Throws<KernelImageException>(() => SetupHeader.Parse(image)).Message;

    [Fact]
    public void RejectsAFileWithoutHdrS()
    {
        var image = new SyntheticBzImage().Build();
        image[0x202] = (byte)'X';
        Assert.Contains("no HdrS magic at 0x202", Reject(image));
    }

    [Fact]
    public void RejectsAFileWithoutBootSignature()
    {
        var image = new SyntheticBzImage().Build();
        image[0x1fe] = 0;
        Assert.Contains("0xAA55", Reject(image));
    }

    [Fact]
    public void RejectsRandomBytes()
    {
        var image = new byte[8192];
        new Random(42).NextBytes(image);
        Assert.Contains("not a Linux bzImage", Reject(image));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(0x205)]
    public void RejectsTinyFiles(int length)
        => Assert.Contains("not a Linux bzImage", Reject(new SyntheticBzImage().Build()[..length]));

    [Fact]
    public void RejectsOldProtocol()
        => Assert.Contains("boot protocol 2.11 is too old", Reject(new SyntheticBzImage { Version = 0x020b }.Build()));

    [Fact]
    public void RejectsKernelWithout64BitEntry()
        => Assert.Contains("XLF_KERNEL_64", Reject(new SyntheticBzImage { XLoadFlags = 0 }.Build()));

    [Fact]
    public void RejectsZImage()
        => Assert.Contains("LOADED_HIGH", Reject(new SyntheticBzImage { LoadFlags = 0 }.Build()));

    [Fact]
    public void RejectsTruncatedKernel()
    {
        var image = new SyntheticBzImage().Build();
        Assert.Contains("truncated", Reject(image[..(image.Length - 4096)]));
    }

    [Fact]
    public void RejectsFileThatEndsInsideSetup()
    {
        var image = new SyntheticBzImage().Build();
        Assert.Contains("truncated", Reject(image[..2000]));
    }

    [Fact]
    public void RejectsHeaderTruncatedBeforeItsEnd()
        => Assert.Contains("truncated", Reject(new SyntheticBzImage().Build()[..0x240]));

    [Fact]
    public void RejectsBadKernelAlignment()
        => Assert.Contains("power of two", Reject(new SyntheticBzImage { KernelAlignment = 0x300000 }.Build()));

    [Fact]
    public void SyssizeRoundingIsTolerated()
    {
        var image = new SyntheticBzImage { KernelBytes = 0x10001 }.Build();
        Assert.Equal((0x10001u + 15) / 16, BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(0x1f4)));
        SetupHeader.Parse(image);
    }
}
