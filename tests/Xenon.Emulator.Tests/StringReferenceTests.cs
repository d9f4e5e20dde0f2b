using Xenon.Emulator.Execution;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;

namespace Xenon.Emulator.Tests;

/// <summary>String instructions with and without REP/REPE/REPNE, both directions, 64- and 32-bit addressing, against the host.</summary>
public sealed class StringReferenceTests
{
    public static TheoryData<string> Encodings()
    {
        var d = new TheoryData<string>();
        string[] ops = ["A4", "A5", "AA", "AB", "AC", "AD", "A6", "A7", "AE", "AF"];
        foreach (string op in ops)
        {
            foreach (string size in op is "A4" or "AA" or "AC" or "A6" or "AE" ? new[] { "" } : ["", "66", "48"])
            {
                foreach (string rep in new[] { "", "F3", "F2" })
                {
                    if (rep == "F2" && op is not ("A6" or "A7" or "AE" or "AF")) continue;
                    d.Add(rep + size + op);
                    if (rep != "" && size != "48") d.Add("67" + rep + size + op); // 32-bit addressing
                }
            }
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void MatchesHostCpu(string hex)
    {
        if (NativeReference.SkipReason is { } reason) Assert.Skip(reason);
        byte[] code = Convert.FromHexString(hex);
        var rng = new Random(hex.Length * 7919 + code.Sum(b => b));
        var inputs = new List<ReferenceInput>();
        for (int n = 0; n < 96; n++)
        {
            var regs = new ulong[16];
            for (int k = 0; k < 16; k++) regs[k] = ReferenceInstructionTests.RandomValue(rng);
            regs[4] = 0;
            regs[6] = 0x200010 + (ulong)rng.Next(0, 16);
            regs[7] = 0x200020 + (ulong)rng.Next(0, 8);
            // A few iterations; with 32-bit addressing only ECX counts, so the upper half may hold anything.
            regs[1] = (uint)rng.Next(0, 4) | (code[0] == 0x67 ? regs[1] & ~0xFFFFFFFFUL : 0);
            var data = new byte[64];
            rng.NextBytes(data);
            if (rng.Next(2) == 0) Array.Fill(data, (byte)rng.Next(3)); // equal runs for REPE/REPNE
            ulong flags = RFlags.Fixed1 | ((ulong)rng.Next(1 << 12) & ReferenceInstructionTests.OSZAPC) | (rng.Next(2) == 0 ? RFlags.DF : 0);
            inputs.Add(new ReferenceInput(code, flags, regs, data));
        }
        List<ReferenceOutput> expected = NativeReference.Execute(inputs);
        var machine = new TestMachine();
        var failures = new List<string>();
        for (int c = 0; c < inputs.Count && failures.Count < 5; c++)
        {
            ReferenceOutput got = ReferenceInstructionTests.RunEmulated(machine, inputs[c]);
            string? diff = ReferenceInstructionTests.Compare(expected[c], got, 0);
            if (diff is not null) failures.Add($"{hex} flags={inputs[c].Flags:x} rcx={inputs[c].Regs[1]:x} rsi={inputs[c].Regs[6]:x} rdi={inputs[c].Regs[7]:x}: {diff}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
