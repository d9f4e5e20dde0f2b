using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// The TLB probe translations emit for their loads and stores (<c>Cpu.IlEmittedTlb</c>): what it covers (RAM pages with
/// a host pointer, every size, FS/GS bases, 32-bit addresses, the stack, CPL 0 and 3) runs inside the translation; what
/// it does not (a clean page's first write, a page crossing, MMIO, a missing permission) leaves for the interpreter at
/// that instruction. Either way the state must be the interpreter's, and the covered accesses must really stay translated.
/// </summary>
public sealed class IlTierMemoryTests
{
    private const ulong FaultHandler = 0x50000, FsBase = 0x201000, GsBase = 0x202000;

    private static (TestMachine Il, TestMachine Slow) Pair(Action<Iced.Intel.Assembler> program, bool emitted = true)
    {
        var il = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = 3;
        il.Cpu.IlEmittedTlb = emitted;
        var rng = new Random(7);
        var data = new byte[0x4000];
        rng.NextBytes(data);
        foreach (var m in new[] { il, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            m.Load(TestMachine.DataBase, data);
            m.S.Segments[State.Seg.Fs].Base = FsBase;
            m.S.Segments[State.Seg.Gs].Base = GsBase;
            m.Assemble(TestMachine.CodeBase, program);
        }
        return (il, slow);
    }

    private static void AssertSameMemory(TestMachine slow, TestMachine il, string where)
    {
        MachineComparison.AssertSame(slow, il, where);
        int data = (int)TestMachine.DataBase;
        Assert.True(il.Memory.Ram.Slice(data, 0x4000).SequenceEqual(slow.Memory.Ram.Slice(data, 0x4000)), $"{where}: data pages differ");
    }

    // One block looping on itself with every translated memory form: loads and stores of 1, 2, 4 and 8 bytes (AH too),
    // immediates, FS and GS, a scaled index, a 32-bit address, MOVZX/MOVSX, ALU and IMUL sources, CMOV, PUSH/POP.
    private static void EveryForm(Iced.Intel.Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(rcx, 3000);
        a.mov(rbx, TestMachine.DataBase);
        a.Label(ref top);
        a.mov(rdx, __qword_ptr[rbx + rcx * 8]);
        a.mov(eax, __dword_ptr[rbx + rcx * 4 + 4]);
        a.mov(si, __word_ptr[rbx + rcx * 2 + 2]);
        a.mov(ah, __byte_ptr[rbx + rcx + 1]);
        a.add(rdx, __qword_ptr[rbx + 0x10]);
        a.sub(eax, __dword_ptr[rbx + 0x18]);
        a.imul(rsi, __qword_ptr[rbx + 0x20]);
        a.movzx(edi, __word_ptr[rbx + rcx * 2]);
        a.movsx(r8, __byte_ptr[rbx + rcx]);
        a.movsxd(r9, __dword_ptr[rbx + rcx * 4]);
        a.cmp(rdx, rax);
        a.cmovb(r10, __qword_ptr[rbx + 0x28]);
        a.mov(r11, __qword_ptr.fs[rbx + 0x30]);
        a.mov(__qword_ptr.gs[rcx], rdx);
        a.mov(__dword_ptr[rbx + rcx * 4 + 0x800], eax);
        a.mov(__word_ptr[rbx + rcx * 2 + 0x1000], si);
        a.mov(__byte_ptr[rbx + rcx + 0x1800], ah);
        a.mov(__qword_ptr[rbx + 0x38], 0x1234567);
        a.mov(__byte_ptr[rbx + 0x40], 0x9C);
        a.mov(r12d, __dword_ptr[ebx + 0x48]);
        a.push(rdx);
        a.push(r8);
        a.pop(r13);
        a.pop(r14);
        a.xor(__qword_ptr[rbx + 0x50], rdx); // read-modify-write: the executor, between probed accesses
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
    }

    [Fact]
    public void EveryMemoryFormRunsTranslatedAndMatchesTheInterpreter()
    {
        var (il, slow) = Pair(EveryForm);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        AssertSameMemory(slow, il, "every form");
        // 3000 turns of 29 instructions: nearly all of them in the translation, which left early only while its pages'
        // TLB entries were still being filled.
        Assert.True(il.Cpu.IlInstructionsRun > 80_000, $"{il.Cpu.IlInstructionsRun} instructions translated");
        Assert.True(il.Cpu.IlEarlyExits < 20, $"{il.Cpu.IlEarlyExits} early exits");
    }

    [Fact]
    public void TheHelperCallsComputeTheSame()
    {
        var (il, slow) = Pair(EveryForm, emitted: false);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        AssertSameMemory(slow, il, "helpers");
        Assert.Equal(0, il.Cpu.IlEarlyExits);
    }

    [Fact]
    public void RandomBudgetsStopWhereTheInterpreterStops()
    {
        var rng = new Random(11);
        var (il, slow) = Pair(EveryForm);
        for (int run = 0; run < 3000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 80);
            il.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, il, $"run {run} budget {budget}");
        }
        AssertSameMemory(slow, il, "end");
    }

    [Fact]
    public void AccessesAcrossAPageLeaveForTheInterpreterEveryTime()
    {
        // The 8-byte load and store straddle the data page's end: the probe never covers them.
        var (il, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 200);
            a.mov(rbx, TestMachine.DataBase + 0xFFC);
            a.Label(ref top);
            a.inc(rax);
            a.mov(rdx, __qword_ptr[rbx]);
            a.add(rdx, rcx);
            a.mov(__qword_ptr[rbx + 0x1000], rdx);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        });
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        Assert.True(slow.S.Halted);
        AssertSameMemory(slow, il, "page crossing");
        Assert.True(il.Cpu.IlEarlyExits > 190, $"{il.Cpu.IlEarlyExits} early exits");
    }

    // A loop that reads the page at 0x1E0000 on every turn (so its TLB entry, with the host pointer, holds whatever the
    // read's walk allowed) and from turn 50 on also stores into it: the store is the page's first write, from translated code.
    private static void ReadsThenWrites(Iced.Intel.Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(rcx, 100);
        a.mov(rbx, 0x1E0000);
        a.Label(ref top);
        a.mov(rdx, __qword_ptr[rbx + rcx * 8]);
        a.add(rax, rdx);
        a.mov(r8, TestMachine.DataBase);
        a.mov(r9, 0x1E0000);
        a.cmp(rcx, 50);
        a.cmovb(r8, r9);
        a.mov(__qword_ptr[r8 + rcx * 8], rax);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
    }

    [Fact]
    public void TheFirstWriteToACleanPageSetsItsDirtyBit()
    {
        var (il, slow) = Pair(ReadsThenWrites);
        foreach (var m in new[] { il, slow }) m.SetPte(0x1E0000, 0x1E0000, 0x27); // present, writable, user, accessed, clean
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        Assert.True(slow.S.Halted);
        AssertSameMemory(slow, il, "clean page");
        Assert.Equal(slow.Pte(0x1E0000), il.Pte(0x1E0000));
        Assert.NotEqual(0UL, il.Pte(0x1E0000) & 0x40); // dirty
        Assert.True(il.Memory.Ram.Slice(0x1E0000, 0x1000).SequenceEqual(slow.Memory.Ram.Slice(0x1E0000, 0x1000)));
        Assert.True(il.Cpu.IlLoopTurns > 40, $"{il.Cpu.IlLoopTurns} turns");
    }

    [Fact]
    public void AStoreToAReadOnlyPageFaultsAtItsInstruction()
    {
        // The page the loop reads is read-only: its first store page-faults with nothing of it committed.
        var (il, slow) = Pair(ReadsThenWrites);
        foreach (var m in new[] { il, slow }) m.SetPte(0x1E0000, 0x1E0000, 0x65); // present, user, accessed, dirty, not writable
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        Assert.True(slow.S.Halted);
        AssertSameMemory(slow, il, "read-only");
        Assert.Equal(0x1E0000UL + 49 * 8, il.S.Cr2);
        Assert.Equal(FaultHandler + 1, il.S.Rip);
        Assert.True(il.Memory.Ram.Slice(0x1E0000, 0x1000).SequenceEqual(slow.Memory.Ram.Slice(0x1E0000, 0x1000)));
        Assert.True(il.Cpu.IlLoopTurns > 40, $"{il.Cpu.IlLoopTurns} turns");
    }

    [Fact]
    public void MmioIsReachedThroughTheInterpreter()
    {
        var (il, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 50);
            a.Label(ref top);
            a.mov(eax, __dword_ptr[0x1F0030]);
            a.add(rbx, rax);
            a.mov(__dword_ptr[0x1F00B0], ecx);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        });
        var reads = new int[2];
        var writes = new List<ulong>[] { [], [] };
        int i = 0;
        foreach (var m in new[] { il, slow })
        {
            int k = i++;
            m.Memory.MmioRead = (gpa, size) => (ulong)(++reads[k] * 3);
            m.Memory.MmioWrite = (gpa, size, v) => writes[k].Add(v);
            m.SetPte(0x1F0000, 0xFEE00000, 0x1B);
        }
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "mmio");
        Assert.Equal(50, reads[0]);
        Assert.Equal(reads[1], reads[0]);
        Assert.Equal(writes[1], writes[0]);
    }

    [Fact]
    public void ATranslationMadeInRing0ChecksUserPermissionsInRing3()
    {
        // The same code (a user page) runs hot in ring 0 on a supervisor-only data page, then in ring 3: #PF there.
        Action<Iced.Intel.Assembler> program = a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.mov(rdx, __qword_ptr[0x1E0000]);
            a.add(rax, rdx);
            a.mov(__qword_ptr[0x1E0008], rax);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        };
        var (il, slow) = Pair(program);
        foreach (var m in new[] { il, slow })
        {
            m.SetPte(0x1E0000, 0x1E0000, 0x63); // present, writable, supervisor, A, D
            m.S.Gpr[1] = 100;
        }
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "ring 0");
        Assert.True(il.Cpu.IlLoopTurns > 90, $"{il.Cpu.IlLoopTurns} turns");
        // Into ring 3 without flushing the TLB: the data page's entry still holds the supervisor's permissions.
        foreach (var m in new[] { il, slow })
        {
            PagingTests.EnterRing3(m);
            m.S.Rip = TestMachine.CodeBase;
            m.S.Gpr[1] = 100;
            m.S.Halted = false;
        }
        long translatedBefore = il.Cpu.IlBlocksRun;
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        MachineComparison.AssertSame(slow, il, "ring 3");
        Assert.Equal(0x1E0000UL, il.S.Cr2);
        Assert.Equal(FaultHandler + 1, il.S.Rip);
        Assert.True(il.Cpu.IlBlocksRun > translatedBefore, "the ring-0 translation ran in ring 3");
    }
}
