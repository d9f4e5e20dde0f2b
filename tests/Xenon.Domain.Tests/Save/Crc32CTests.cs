using Xenon.Domain.Save;

namespace Xenon.Domain.Tests.Save;

public sealed class Crc32CTests
{
    [Fact]
    public void MatchesTheCastagnoliCheckValue() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void EmptyInputAndAllZeroBlocks()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32])); // RFC 3720 B.4: 32 bytes of zeroes
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xff, 32).ToArray()));
    }

    [Fact]
    public void HardwareAndTablePathsAgreeAtEveryLengthAndSplit()
    {
        var data = new byte[300];
        new Random(7).NextBytes(data);
        for (int length = 0; length <= data.Length; length += 7)
        {
            var slice = data.AsSpan(0, length);
            uint reference = Crc32C.Finish(Crc32C.AppendSoftware(Crc32C.Initial, slice));
            Assert.Equal(reference, Crc32C.Compute(slice));
            int split = length / 3;
            Assert.Equal(reference, Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Initial, slice[..split]), slice[split..])));
        }
    }
}
