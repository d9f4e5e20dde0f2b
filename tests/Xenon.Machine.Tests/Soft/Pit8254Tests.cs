using Xenon.Machine.Soft.Platform;

namespace Xenon.Machine.Tests.Soft;

/// <summary>The 8254: programming, counting from the host clock, latch and read-back, counter 2 through port 0x61 (the
/// way Linux calibrates the TSC), IRQ 0 from counter 0, and arbitrary guest writes.</summary>
public sealed class Pit8254Tests
{
    [Fact]
    public void Counter0InRateGeneratorModeFiresIrq0Periodically()
    {
        int pulses = 0;
        using var pit = new Pit8254(() => Interlocked.Increment(ref pulses));
        pit.Write(0x43, 0x34);
        pit.Write(0x40, 0x9c);
        pit.Write(0x40, 0x2e); // 11932: about 100 Hz
        Thread.Sleep(300);
        int n = Volatile.Read(ref pulses);
        Assert.InRange(n, 10, 40);
    }

    [Fact]
    public void EdgesMissedWhileIrq0WasPendingAreReinjectedOnceTaken()
    {
        int pulses = 0;
        bool pending = false;
        using var pit = new Pit8254(() => { Interlocked.Increment(ref pulses); Volatile.Write(ref pending, true); }, () => Volatile.Read(ref pending));
        pit.Write(0x43, 0x34);
        pit.Write(0x40, 0xa9);
        pit.Write(0x40, 0x04); // 1193: 1 kHz
        Thread.Sleep(200);     // the "CPU" takes nothing: one request latched, the rest owed
        Assert.Equal(1, Volatile.Read(ref pulses));
        long owed = pit.Backlog;
        Assert.True(owed >= 100, $"only {owed} edges owed after 200 ms at 1 kHz");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (pit.Backlog > 0 && DateTime.UtcNow < deadline)
        {
            if (Volatile.Read(ref pending))
            {
                Volatile.Write(ref pending, false); // take each request as it comes, as the PIC's INTA does
                pit.Irq0Taken();
            }
            Thread.Yield();
        }
        // every owed edge was delivered (besides the ones that came due meanwhile)
        Assert.True(Volatile.Read(ref pulses) >= 1 + owed, $"{pulses} pulses, {owed} were owed");
    }

    [Fact]
    public void AOneShotFiresOnceEvenWhileOtherPortWritesWakeTheTimer()
    {
        // Linux's NO_HZ clockevent: mode 4, one count per event. Writes for counter 2 (TSC calibration, the speaker)
        // wake the timer thread; one landing after the edge came due must not make it skip the edge.
        int pulses = 0;
        using var pit = new Pit8254(() => Interlocked.Increment(ref pulses));
        pit.Write(0x43, 0x38);
        pit.Write(0x40, 0x55);
        pit.Write(0x40, 0x09); // 2389 ticks: 2 ms
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 30) pit.Write(0x61, (byte)(sw.ElapsedTicks & 1));
        Thread.Sleep(20);
        Assert.Equal(1, Volatile.Read(ref pulses));
    }

    [Fact]
    public void NothingFiresBeforeACountIsLoaded()
    {
        int pulses = 0;
        using var pit = new Pit8254(() => Interlocked.Increment(ref pulses));
        pit.Write(0x43, 0x34);
        Thread.Sleep(50);
        Assert.Equal(0, Volatile.Read(ref pulses));
    }

    [Fact]
    public void TheGateHoldsTheCountAndALatchFreezesTheValueRead()
    {
        using var pit = new Pit8254(() => { });
        pit.Write(0x61, 0x00); // gate 2 low: counter 2 holds
        pit.Write(0x43, 0xb0); // counter 2, lobyte/hibyte, mode 0
        pit.Write(0x42, 0xff);
        pit.Write(0x42, 0xff);
        Thread.Sleep(5);
        Assert.Equal(0xffff, ReadCount(pit));
        pit.Write(0x61, 0x01); // gate high: counting
        Thread.Sleep(2);
        pit.Write(0x43, 0x80); // latch counter 2
        Thread.Sleep(5);
        int latched = ReadCount(pit);
        Assert.InRange(latched, 1, 0xfffe);
        pit.Write(0x43, 0x80);
        Assert.NotEqual(latched, ReadCount(pit)); // a new latch, a later value
    }

    private static int ReadCount(Pit8254 pit) => (int)pit.Read(0x42) | ((int)pit.Read(0x42) << 8);

    [Fact]
    public void Counter2OutputRisesOnPort61WhenTheCountExpires()
    {
        using var pit = new Pit8254(() => { });
        pit.Write(0x61, 0x01);
        pit.Write(0x43, 0xb0);
        pit.Write(0x42, 0xff); // 65535 ticks: 55 ms
        pit.Write(0x42, 0xff);
        Assert.Equal(0, (int)pit.Read(0x61) & 0x20);
        Thread.Sleep(150);
        Assert.Equal(0x20, (int)pit.Read(0x61) & 0x20);
        Assert.Equal(0x01, (int)pit.Read(0x61) & 0x01);
    }

    [Fact]
    public void ReadBackLatchesStatusAndCount()
    {
        using var pit = new Pit8254(() => { });
        pit.Write(0x43, 0x34);
        pit.Write(0x40, 0x00);
        pit.Write(0x40, 0x10);
        pit.Write(0x43, 0xc2); // read-back counter 0: count and status
        byte status = (byte)pit.Read(0x40);
        Assert.Equal(0x34, status & 0x3f); // rw 3, mode 2, binary
        Assert.Equal(0, status & 0x40);    // count loaded
        int count = (int)pit.Read(0x40) | ((int)pit.Read(0x40) << 8);
        Assert.InRange(count, 1, 0x1000);
    }

    [Fact]
    public void ArbitraryGuestWritesNeverThrow()
    {
        int pulses = 0;
        using var pit = new Pit8254(() => Interlocked.Increment(ref pulses));
        var rng = new Random(8254);
        ushort[] ports = [0x40, 0x41, 0x42, 0x43, 0x61];
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = ports[rng.Next(ports.Length)];
            if (rng.Next(3) == 0) Assert.InRange(pit.Read(port), 0u, 0xffu);
            else pit.Write(port, (byte)rng.Next(256));
        }
        // the tiniest count (1, in rate-generator mode) must not turn the timer thread into a storm
        pit.Write(0x43, 0x34);
        pit.Write(0x40, 1);
        pit.Write(0x40, 0);
        int before = Volatile.Read(ref pulses);
        Thread.Sleep(200);
        Assert.InRange(Volatile.Read(ref pulses) - before, 0, 2000);
    }
}
