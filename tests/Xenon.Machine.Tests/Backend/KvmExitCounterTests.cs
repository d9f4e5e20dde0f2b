using Xenon.Kvm.Abi;
using Xenon.Machine.Backend.Kvm;

namespace Xenon.Machine.Tests.Backend;

public sealed class KvmExitCounterTests
{
    [Fact]
    public void CountsByReasonPortAndMmioPage()
    {
        var c = new KvmExitCounter();
        c.Count((uint)KvmExitReason.Io);
        c.CountIo(0x3f8, 1);
        c.Count((uint)KvmExitReason.Io);
        c.CountIo(0x3f8, 4); // rep outsb of four bytes: one exit, four accesses
        c.Count((uint)KvmExitReason.Mmio);
        c.CountMmio(0xfee0_0030);
        c.Count((uint)KvmExitReason.Mmio);
        c.CountMmio(0xfee0_0ff0);
        Assert.Equal(4, c.Total);
        Assert.Equal(2, c.ByReason(KvmExitReason.Io));
        Assert.Equal(2, c.ByReason(KvmExitReason.Mmio));
        Assert.Equal(5, c.ByPort(0x3f8));
        string d = c.Describe(0);
        Assert.Contains("vcpu0: 4 exits to user space", d, StringComparison.Ordinal);
        Assert.Contains("Io 2", d, StringComparison.Ordinal);
        Assert.Contains("0x3f8 5", d, StringComparison.Ordinal);
        Assert.Contains("0xfee00000 2", d, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownReasonNumberIsCountedNotThrown()
    {
        var c = new KvmExitCounter();
        c.Count(1000);
        c.Count(63);
        Assert.Equal(2, c.Total);
        Assert.Contains(" 63 1", c.Describe(1), StringComparison.Ordinal);
    }
}
