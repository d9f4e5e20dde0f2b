using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Read-modify-write with a memory destination (ALU ops, INC/DEC, shifts and rotates) through the TLB entry's host
/// pointer (<c>Cpu.FastRmwHost</c>) against the interpreter: every form, size and flag input, operands across a page
/// end, pages the entry may not write (read-only, clean, not present on the second half), stores into the running
/// block's own code, the dirty log, and the same instructions inside a translation. Memory and flags must be the
/// interpreter's, a fault must leave memory unchanged, and the host path must really have run.
/// </summary>
public sealed class FastRmwTests
{
    private const ulong FaultHandler = 0x50000, Page = 0x1E0000;

    private static (TestMachine Fast, TestMachine Slow) Pair(Action<Assembler> program, ulong flags = 0, int ilThreshold = 0)
    {
        var fast = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        Assert.True(fast.Cpu.FastRmwHost);
        fast.Cpu.IlTier = ilThreshold > 0;
        if (ilThreshold > 0) fast.Cpu.IlThreshold = ilThreshold;
        var rng = new Random(12);
        var data = new byte[0x3000];
        rng.NextBytes(data);
        foreach (var m in new[] { fast, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            m.Load(Page, data);
            m.S.Gpr[3] = Page; // RBX
            m.S.Gpr[0] = 0x8000_0000_0000_0001; // RAX
            m.S.Gpr[1] = 0x0000_0000_0000_0043; // RCX (CL = 67: 3 for 64-bit operands after masking)
            m.Cpu.SetRflags(State.RFlags.Fixed1 | flags);
            m.Assemble(TestMachine.CodeBase, program);
        }
        return (fast, slow);
    }

    private static void AssertSameMemory(TestMachine slow, TestMachine fast, string where)
    {
        MachineComparison.AssertSame(slow, fast, where);
        Assert.True(fast.Memory.Ram.Slice((int)Page, 0x3000).SequenceEqual(slow.Memory.Ram.Slice((int)Page, 0x3000)), where + ": data pages differ");
    }

    /// <summary>Runs both one instruction at a time to the HLT, comparing after each.</summary>
    private static void StepBoth(TestMachine fast, TestMachine slow, string where, int max = 200)
    {
        for (int i = 0; i < max && !slow.S.Halted; i++)
        {
            fast.Cpu.Run(1);
            slow.Cpu.Run(1);
            AssertSameMemory(slow, fast, $"{where} step {i}");
        }
        Assert.True(slow.S.Halted, where + ": did not reach its HLT");
    }

    private static readonly (string Name, Action<Assembler, AssemblerMemoryOperand, int> Emit)[] Forms =
    [
        ("add m,r", (a, m, s) => Reg(a, m, s, a.add, a.add, a.add, a.add)),
        ("or m,r", (a, m, s) => Reg(a, m, s, a.or, a.or, a.or, a.or)),
        ("adc m,r", (a, m, s) => Reg(a, m, s, a.adc, a.adc, a.adc, a.adc)),
        ("sbb m,r", (a, m, s) => Reg(a, m, s, a.sbb, a.sbb, a.sbb, a.sbb)),
        ("and m,r", (a, m, s) => Reg(a, m, s, a.and, a.and, a.and, a.and)),
        ("sub m,r", (a, m, s) => Reg(a, m, s, a.sub, a.sub, a.sub, a.sub)),
        ("xor m,r", (a, m, s) => Reg(a, m, s, a.xor, a.xor, a.xor, a.xor)),
        ("add m,i", (a, m, s) => a.add(m, 0x7F)),
        ("adc m,i", (a, m, s) => a.adc(m, -1)),
        ("sbb m,i", (a, m, s) => a.sbb(m, 1)),
        ("sub m,i", (a, m, s) => a.sub(m, -128)),
        ("and m,i", (a, m, s) => a.and(m, 0x5A)),
        ("xor m,i", (a, m, s) => a.xor(m, -1)),
        ("inc m", (a, m, s) => a.inc(m)),
        ("dec m", (a, m, s) => a.dec(m)),
        ("shl m,1", (a, m, s) => a.shl(m, (byte)1)),
        ("shr m,3", (a, m, s) => a.shr(m, (byte)3)),
        ("sar m,cl", (a, m, s) => a.sar(m, cl)),
        ("rol m,5", (a, m, s) => a.rol(m, (byte)5)),
        ("ror m,cl", (a, m, s) => a.ror(m, cl)),
        ("shl m,0", (a, m, s) => a.shl(m, (byte)0)),
    ];

    private static void Reg(Assembler a, AssemblerMemoryOperand m, int size,
        Action<AssemblerMemoryOperand, AssemblerRegister8> b, Action<AssemblerMemoryOperand, AssemblerRegister16> w,
        Action<AssemblerMemoryOperand, AssemblerRegister32> d, Action<AssemblerMemoryOperand, AssemblerRegister64> q)
    {
        switch (size)
        {
            case 1: b(m, al); break;
            case 2: w(m, ax); break;
            case 4: d(m, eax); break;
            default: q(m, rax); break;
        }
    }

    private static AssemblerMemoryOperand Operand(int size, int disp) => size switch
    {
        1 => __byte_ptr[rbx + disp],
        2 => __word_ptr[rbx + disp],
        4 => __dword_ptr[rbx + disp],
        _ => __qword_ptr[rbx + disp],
    };

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x8D5UL)] // CF, PF, AF, SF, OF: ADC/SBB read the carry, INC/DEC keep it
    public void EveryFormAndSizeMatchesTheInterpreter(ulong flags)
    {
        foreach (var (name, emit) in Forms)
        {
            foreach (int size in (ReadOnlySpan<int>)[1, 2, 4, 8])
            {
                // The first access to the page takes the slow way (and records the host page), the rest the host pointer;
                // a misaligned offset and the last bytes of the page stay inside it, 0xFFE crosses into the next one.
                var (fast, slow) = Pair(a =>
                {
                    foreach (int disp in (ReadOnlySpan<int>)[0x10, 0x10, 0x23, 0x1000 - size, 0xFFE, 0x10])
                    {
                        emit(a, Operand(size, disp), size);
                        a.pushfq();
                        a.pop(rdx);
                        a.add(rax, 0x3333_5555);
                    }
                    a.hlt();
                }, flags);
                StepBoth(fast, slow, $"{name} size {size} flags {flags:x}");
                Assert.True(fast.Cpu.FastRmwHostHits >= 3, $"{name} size {size}: {fast.Cpu.FastRmwHostHits} host read-modify-writes");
            }
        }
    }

    [Fact]
    public void WithTheHostPathOffNothingGoesThroughIt()
    {
        var (fast, slow) = Pair(a =>
        {
            a.add(__qword_ptr[rbx + 8], rax);
            a.add(__qword_ptr[rbx + 8], rax);
            a.hlt();
        });
        fast.Cpu.FastRmwHost = false;
        StepBoth(fast, slow, "off");
        Assert.Equal(0, fast.Cpu.FastRmwHostHits);
    }

    [Fact]
    public void AReadOnlyPageFaultsWithMemoryUnchanged()
    {
        // A read fills the TLB entry with the host pointer but no write permission: the RMW must page-fault.
        var (fast, slow) = Pair(a =>
        {
            a.mov(rdx, __qword_ptr[rbx + 0x40]);
            a.inc(__qword_ptr[rbx + 0x40]);
            a.hlt();
        });
        foreach (var m in new[] { fast, slow }) m.SetPte(Page, Page, 0x61); // present, supervisor, A, D, not writable
        byte[] before = fast.Memory.Ram.Slice((int)Page, 0x1000).ToArray();
        StepBoth(fast, slow, "read-only");
        Assert.Equal(Page + 0x40, fast.S.Cr2);
        Assert.Equal(FaultHandler + 1, fast.S.Rip);
        Assert.True(fast.Memory.Ram.Slice((int)Page, 0x1000).SequenceEqual(before));
        Assert.Equal(0, fast.Cpu.FastRmwHostHits);
    }

    [Fact]
    public void AFaultOnTheSecondPageLeavesTheFirstUnchanged()
    {
        // The operand's last bytes are on a page that is not present: #PF there, and nothing written on the first page.
        var (fast, slow) = Pair(a =>
        {
            a.add(__qword_ptr[rbx + 0x8], rax); // makes the first page's entry writable, with its host pointer
            a.add(__qword_ptr[rbx + 0x8], rax); // through the host pointer
            a.add(__qword_ptr[rbx + 0xFFC], rax);
            a.hlt();
        });
        foreach (var m in new[] { fast, slow }) m.SetPte(Page + 0x1000, Page + 0x1000, 0);
        StepBoth(fast, slow, "second half");
        Assert.Equal(Page + 0x1000, fast.S.Cr2);
        Assert.Equal(FaultHandler + 1, fast.S.Rip);
        Assert.Equal(slow.Memory.Ram.Slice((int)Page + 0xFF8, 8).ToArray(), fast.Memory.Ram.Slice((int)Page + 0xFF8, 8).ToArray());
        Assert.Equal(1, fast.Cpu.FastRmwHostHits);
    }

    [Fact]
    public void AReadThenRmwOfACleanPageSetsItsDirtyBitFirst()
    {
        // The read leaves an entry without write permission (D clear): the RMW walks again, which sets D, then goes direct.
        var (fast, slow) = Pair(a =>
        {
            a.mov(rdx, __qword_ptr[rbx + 0x40]);
            a.xor(__dword_ptr[rbx + 0x40], 0x1234);
            a.xor(__dword_ptr[rbx + 0x44], 0x1234);
            a.hlt();
        });
        foreach (var m in new[] { fast, slow }) m.SetPte(Page, Page, 0x23); // present, writable, supervisor, A, clean
        StepBoth(fast, slow, "clean");
        Assert.Equal(slow.Pte(Page), fast.Pte(Page));
        Assert.NotEqual(0UL, fast.Pte(Page) & 0x40);
        Assert.Equal(1, fast.Cpu.FastRmwHostHits);
    }

    [Fact]
    public void AnRmwIntoItsOwnBlockIsSeenByTheNextInstruction()
    {
        // INC BYTE on the immediate of a later MOV in the same block: the block must end and the changed code run.
        var (fast, slow) = Pair(a =>
        {
            var patched = a.CreateLabel();
            a.lea(rsi, __[patched]);
            a.inc(__byte_ptr[rsi + 1]); // MOV EDI's immediate; the first RMW on the code page goes the slow way
            a.inc(__byte_ptr[rsi + 1]); // through the host pointer: still a store into code
            a.nop();
            a.Label(ref patched);
            a.mov(edi, 0x10);
            a.hlt();
        });
        fast.Cpu.Run(100);
        slow.Cpu.Run(100);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, fast, "self-modifying");
        Assert.Equal(0x12UL, fast.S.Gpr[7]);
        Assert.True(fast.Cpu.FastRmwHostHits >= 1);
    }

    [Fact]
    public void AnRmwThroughTheHostPointerSetsTheDirtyLog()
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(rbx, TestMachine.DataBase + 0x5000);
            a.add(__qword_ptr[rbx + 8], 1);
            a.hlt();
            a.add(__qword_ptr[rbx + 8], 1);
            a.hlt();
        });
        const ulong pages = (16 << 20) / 4096;
        m.Cpu.CodePages.StartDirtyLog(0, pages, pages);
        var bits = new ulong[pages / 64];
        ulong page = (TestMachine.DataBase + 0x5000) >> 12;
        m.Cpu.Run(100);
        m.Cpu.CodePages.GetAndClearDirtyLog(0, pages, bits);
        Assert.NotEqual(0UL, bits[page / 64] & (1UL << (int)(page % 64)));
        m.S.Halted = false;
        m.Cpu.Run(100);
        Array.Clear(bits);
        m.Cpu.CodePages.GetAndClearDirtyLog(0, pages, bits);
        Assert.Equal(1, m.Cpu.FastRmwHostHits);
        Assert.NotEqual(0UL, bits[page / 64] & (1UL << (int)(page % 64)));
        Assert.Equal(2UL, m.R64(TestMachine.DataBase + 0x5008));
    }

    [Fact]
    public void InsideATranslationTheHostPathMatchesTheInterpreter()
    {
        // A hot loop of memory RMWs: translated code hands them to the fast path's executor, which goes direct.
        var (fast, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 300);
            a.Label(ref top);
            a.add(__qword_ptr[rbx + rcx * 8], rax);
            a.adc(__dword_ptr[rbx + rcx * 4 + 0x10], 7);
            a.dec(__word_ptr[rbx + rcx * 2 + 0x20]);
            a.shl(__qword_ptr[rbx + rcx * 8 + 0x800], 3);
            a.rol(__byte_ptr[rbx + rcx + 0x30], 1);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        }, ilThreshold: 3);
        fast.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        Assert.True(slow.S.Halted);
        AssertSameMemory(slow, fast, "translated");
        Assert.True(fast.Cpu.IlBlocksRun > 100, $"{fast.Cpu.IlBlocksRun} translated runs");
        Assert.True(fast.Cpu.FastRmwHostHits > 1000, $"{fast.Cpu.FastRmwHostHits} host read-modify-writes");
    }
}
