using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// The soft CPU's dirty log (<see cref="CodePageTracker.StartDirtyLog"/>): every way a CPU writes RAM sets the page's
/// bit — interpreted and translated stores, string operations, stores across a page end, the page walk's Accessed and
/// Dirty bits — and so do device writes; get-and-clear empties the log and the next write sets the bit again.
/// </summary>
public sealed class DirtyLogTests
{
    private const ulong Pages = (16 << 20) / 4096;
    private const ulong DataPage = TestMachine.DataBase >> 12;

    private static ulong[] Collect(CodePageTracker pages)
    {
        var bits = new ulong[Pages / 64];
        pages.GetAndClearDirtyLog(0, Pages, bits);
        return bits;
    }

    private static bool IsSet(ulong[] bits, ulong page) => (bits[page / 64] & (1UL << (int)(page % 64))) != 0;

    private static List<ulong> SetPages(ulong[] bits)
    {
        var list = new List<ulong>();
        for (ulong p = 0; p < Pages; p++) if (IsSet(bits, p)) list.Add(p);
        return list;
    }

    private static TestMachine Logged(Action<Iced.Intel.Assembler> program, bool fast)
    {
        var m = new TestMachine();
        m.Cpu.FastPath = fast;
        m.Assemble(TestMachine.CodeBase, program);
        m.Cpu.CodePages.StartDirtyLog(0, Pages, Pages);
        return m;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AStoreSetsItsPageAndGetAndClearEmptiesTheLog(bool fast)
    {
        var m = Logged(a =>
        {
            a.mov(rbx, TestMachine.DataBase + 0x3000);
            a.mov(__qword_ptr[rbx + 0x10], 0x55);
            a.hlt();
        }, fast);
        m.Cpu.Run(100);
        Assert.True(m.S.Halted);
        var first = Collect(m.Cpu.CodePages);
        Assert.True(IsSet(first, DataPage + 3));
        Assert.False(IsSet(first, DataPage + 2));
        Assert.False(IsSet(first, DataPage + 4));
        Assert.False(IsSet(first, TestMachine.CodeBase >> 12)); // read and executed, never written
        Assert.Empty(SetPages(Collect(m.Cpu.CodePages)));

        // Again: the page is clean now, and the same store logs it once more.
        m.S.Rip = TestMachine.CodeBase;
        m.S.Halted = false;
        m.Cpu.Run(100);
        Assert.Contains(DataPage + 3, SetPages(Collect(m.Cpu.CodePages)));
    }

    [Fact]
    public void ThePageWalksAccessedAndDirtyBitsAreWritesToo()
    {
        var m = Logged(a =>
        {
            a.mov(rbx, TestMachine.DataBase + 0x5000);
            a.mov(__byte_ptr[rbx], 1);
            a.hlt();
        }, fast: false);
        // DataBase + 0x5000 is mapped by the second 4 KiB table: clear the entry's Dirty bit so the walk sets it.
        ulong pte = TestMachine.Pt1 + 8 * ((TestMachine.DataBase + 0x5000) >> 12 & 511);
        m.W64(pte, m.R64(pte) & ~0x40UL);
        m.Cpu.StateChanged();
        Collect(m.Cpu.CodePages);
        m.Cpu.Run(100);
        var bits = Collect(m.Cpu.CodePages);
        Assert.True((m.R64(pte) & 0x40) != 0);
        Assert.True(IsSet(bits, TestMachine.Pt1 >> 12), "the page table got its Dirty bit and must be logged");
        Assert.True(IsSet(bits, DataPage + 5));
    }

    [Fact]
    public void TranslatedStoresLogEveryRound()
    {
        var m = Logged(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 1_000_000);
            a.mov(rbx, TestMachine.DataBase + 0x7000);
            a.Label(ref top);
            a.mov(__qword_ptr[rbx + 8], rcx);
            a.mov(__dword_ptr[rbx + 0x1004], ecx); // the next page
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        }, fast: true);
        m.Cpu.IlTier = true;
        m.Cpu.IlThreshold = 3;
        m.Cpu.Run(20_000); // warm: translated, TLB entries filled
        Collect(m.Cpu.CodePages);
        for (int round = 0; round < 5; round++)
        {
            long before = m.Cpu.IlInstructionsRun;
            ulong value = m.R64(TestMachine.DataBase + 0x7008);
            m.Cpu.Run(20_000);
            Assert.NotEqual(value, m.R64(TestMachine.DataBase + 0x7008));
            Assert.True(m.Cpu.IlInstructionsRun - before > 10_000, $"round {round}: {m.Cpu.IlInstructionsRun - before} instructions translated");
            var set = SetPages(Collect(m.Cpu.CodePages));
            Assert.Contains(DataPage + 7, set);
            Assert.Contains(DataPage + 8, set);
            Assert.DoesNotContain(DataPage + 9, set);
        }
        Assert.Empty(SetPages(Collect(m.Cpu.CodePages)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StringOperationsLogEveryPageTheyWrite(bool fast)
    {
        var m = Logged(a =>
        {
            a.mov(rdi, TestMachine.DataBase + 0x800);
            a.mov(rcx, 0x2000); // pages +0, +1, +2
            a.mov(al, 0xAB);
            a.rep.stosb();
            a.mov(rsi, TestMachine.DataBase);
            a.mov(rdi, TestMachine.DataBase + 0x9FF8); // 16 qwords from here: pages +9 and +10
            a.mov(rcx, 16);
            a.rep.movsq();
            a.hlt();
        }, fast);
        m.Cpu.Run(100_000);
        Assert.True(m.S.Halted);
        var set = SetPages(Collect(m.Cpu.CodePages));
        ulong[] expected = [DataPage, DataPage + 1, DataPage + 2, DataPage + 9, DataPage + 10];
        foreach (ulong p in expected) Assert.Contains(p, set);
        Assert.DoesNotContain(DataPage + 3, set);
        Assert.DoesNotContain(DataPage + 8, set);
        Assert.DoesNotContain(DataPage + 11, set);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AStoreAcrossAPageEndLogsBothPages(bool fast)
    {
        var m = Logged(a =>
        {
            a.mov(rbx, TestMachine.DataBase + 0x1FFC);
            a.mov(rax, 0x1122334455667788);
            a.mov(__qword_ptr[rbx], rax);
            a.@lock.xadd(__dword_ptr[rbx + 0x1FFE], eax); // locked, also across the next page end
            a.hlt();
        }, fast);
        m.Cpu.Run(100);
        Assert.True(m.S.Halted);
        var set = SetPages(Collect(m.Cpu.CodePages));
        Assert.Contains(DataPage + 1, set);
        Assert.Contains(DataPage + 2, set);
        Assert.Contains(DataPage + 3, set);
        Assert.DoesNotContain(DataPage, set);
        Assert.DoesNotContain(DataPage + 4, set);
    }

    [Fact]
    public void DeviceWritesAreLoggedOnlyWhileLogging()
    {
        var pages = new CodePageTracker();
        pages.NotifyWrite(0x5000, 16); // before logging: nothing to record
        pages.StartDirtyLog(0, Pages, Pages);
        Assert.Empty(SetPages(Collect(pages)));
        pages.NotifyWrite(0x5FF0, 0x20); // pages 5 and 6
        Assert.Equal([5UL, 6UL], SetPages(Collect(pages)));
        pages.StopDirtyLog(0, Pages);
        Assert.False(pages.DirtyLogging);
        pages.NotifyWrite(0x9000, 8);
        Assert.Empty(SetPages(Collect(pages)));
    }

    [Fact]
    public void ARangeNotStartingOnAWordIsReportedRelativeToItsStart()
    {
        var pages = new CodePageTracker();
        pages.StartDirtyLog(70, 10, 128);
        pages.NotifyWrite(71 * 4096, 1);
        pages.NotifyWrite(79 * 4096 + 4095, 1);
        pages.NotifyWrite(80 * 4096, 1); // outside the range: not logged
        var bits = new ulong[1];
        pages.GetAndClearDirtyLog(70, 10, bits);
        Assert.Equal((1UL << 1) | (1UL << 9), bits[0]);
        pages.GetAndClearDirtyLog(70, 10, bits);
        Assert.Equal(0UL, bits[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => pages.StartDirtyLog(120, 10, 128));
    }

    [Fact]
    public void CodeOnALoggedPageIsStillDroppedWhenWritten()
    {
        var pages = new CodePageTracker();
        pages.MarkCode(3);
        int generation = pages.Generation(3);
        pages.StartDirtyLog(0, 64, 64);
        Assert.True(pages.HasCode(3));
        Assert.True(pages.AfterWrite(3));
        Assert.NotEqual(generation, pages.Generation(3));
        Assert.False(pages.HasCode(3));
        var bits = new ulong[1];
        pages.GetAndClearDirtyLog(0, 64, bits);
        Assert.Equal(1UL << 3, bits[0]);
        Assert.False(pages.HasCode(3)); // clean again, but no code: the flag for logging is not "holds code"
        Assert.False(pages.AfterWrite(3)); // logged, but no code was dropped
        pages.GetAndClearDirtyLog(0, 64, bits);
        Assert.Equal(1UL << 3, bits[0]);
    }

    /// <summary>
    /// The migration's invariant, with writers on several threads (vCPUs) and a collector (the sender): every value a
    /// writer stored either was there when the collector copied the pages it collected, or its page is in a later
    /// collection. The destination copy ends equal to the memory.
    /// </summary>
    [Fact]
    public void WritersOnSeveralThreadsLoseNoWriteToTheCollector()
    {
        const int PageCount = 256, Writers = 3;
        var pages = new CodePageTracker();
        pages.AddCpu();
        pages.AddCpu();
        var memory = new long[PageCount];
        var copy = new long[PageCount];
        pages.StartDirtyLog(0, PageCount, PageCount);
        using var stop = new CancellationTokenSource();
        var threads = new Thread[Writers];
        for (int w = 0; w < Writers; w++)
        {
            int seed = w;
            threads[w] = new Thread(() =>
            {
                var rng = new Random(seed);
                long n = 0;
                while (!stop.IsCancellationRequested)
                {
                    int page = rng.Next(PageCount);
                    Volatile.Write(ref memory[page], ++n * Writers + seed);
                    pages.AfterWrite((ulong)page);
                }
            });
            threads[w].Start();
        }
        var bits = new ulong[PageCount / 64];
        for (int round = 0; round < 2000; round++)
        {
            pages.GetAndClearDirtyLog(0, PageCount, bits);
            for (int p = 0; p < PageCount; p++)
                if ((bits[p / 64] & (1UL << (p % 64))) != 0) copy[p] = Volatile.Read(ref memory[p]);
        }
        stop.Cancel();
        foreach (var t in threads) t.Join();
        // The last round, with the writers stopped (the sender's paused pass).
        pages.GetAndClearDirtyLog(0, PageCount, bits);
        for (int p = 0; p < PageCount; p++)
            if ((bits[p / 64] & (1UL << (p % 64))) != 0) copy[p] = memory[p];
        Assert.Equal(memory, copy);
    }
}
