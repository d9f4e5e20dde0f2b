using Xenon.Domain.Migration;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Migration;

/// <summary>Device writes (which KVM's dirty log does not see) are logged per page, across page boundaries, and drained once.</summary>
public sealed class DeviceWriteLogTests
{
    [Fact]
    public void AWriteMarksEveryPageItTouchesAndADrainTakesThemOnce()
    {
        using var memory = GuestMemory.Create([(0, 0x10000), (0x100000, 0x100000)]);
        var log = new DeviceWriteLog(memory);
        memory.WriteObserver = log;
        memory.Write(0x0ffe, [1, 2, 3, 4]);          // pages 0 and 1 of region 0
        memory.NotifyWritten(0x100000 + 64 * 4096, 1); // page 64 of region 1 (second word)
        memory.NotifyWritten(0x50000, 16);            // outside RAM: ignored

        var first = new ulong[1];
        log.DrainInto(0, first);
        Assert.Equal(0b11UL, first[0]);
        var second = new ulong[4];
        log.DrainInto(1, second);
        Assert.Equal([0UL, 1UL, 0UL, 0UL], second);
        var again = new ulong[1];
        log.DrainInto(0, again);
        Assert.Equal(0UL, again[0]);
    }
}
