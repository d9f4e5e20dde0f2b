using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests.Support;

/// <summary>How a test program changes code that an earlier turn already ran and linked: a store into it,
/// or its page remapped (the PTE rewritten, then INVLPG or a CR3 reload).</summary>
public enum CodeChange { None, StoreIntoCode, RemapInvlpg, RemapCr3 }

public static class CodeChangeEmitter
{
    /// <summary>Every change, each with the test's flag on and off.</summary>
    public static TheoryData<CodeChange, bool> EveryChangeOnAndOff => new()
    {
        { CodeChange.None, true }, { CodeChange.None, false },
        { CodeChange.StoreIntoCode, true }, { CodeChange.StoreIntoCode, false },
        { CodeChange.RemapInvlpg, true }, { CodeChange.RemapInvlpg, false },
        { CodeChange.RemapCr3, true }, { CodeChange.RemapCr3, false },
    };

    /// <summary>The sum a loop of <paramref name="turns"/> adds when the changed code adds 3 up to and including the
    /// turn of the change (the one where the down-counter equals <paramref name="changeAt"/>) and 7 (the stored
    /// immediate, or the remapped page's addend) in the <paramref name="changeAt"/> − 1 turns after it.</summary>
    public static ulong AddendSum(CodeChange change, int turns, int changeAt) =>
        change == CodeChange.None ? 3UL * (ulong)turns : 3UL * (ulong)(turns - changeAt + 1) + 7UL * (ulong)(changeAt - 1);

    /// <summary>Emits <paramref name="change"/>: a byte store of 7 at <paramref name="immediate"/>, or
    /// <paramref name="remapped"/> written to the PTE at <paramref name="pteAddress"/> followed by INVLPG of
    /// <paramref name="page"/> or a CR3 reload. Clobbers rbx, r8 and r9.</summary>
    public static void Emit(Assembler a, CodeChange change, ulong immediate, ulong pteAddress, ulong remapped, ulong page)
    {
        switch (change)
        {
            case CodeChange.StoreIntoCode:
                a.mov(rbx, immediate);
                a.mov(__byte_ptr[rbx], 7);
                break;
            case CodeChange.RemapInvlpg:
            case CodeChange.RemapCr3:
                a.mov(rbx, pteAddress);
                a.mov(r8, remapped);
                a.mov(__qword_ptr[rbx], r8);
                a.mov(rbx, page);
                if (change == CodeChange.RemapInvlpg) a.invlpg(__byte_ptr[rbx]);
                else
                {
                    a.mov(r9, cr3);
                    a.mov(cr3, r9);
                }
                break;
        }
    }
}
