using System.Diagnostics;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.Soft;

/// <summary>
/// guests/count64.S on the software CPU: real mode to long mode, a counter checked against memory on every iteration,
/// the PIT ticking through the PIC at 100 Hz. Pause (kick latency), capture and restore into a new machine, and speed.
/// </summary>
public sealed class SoftCountingTests(ITestOutputHelper output)
{
    private const ulong CounterAddress = 0x500, TicksAddress = 0x508, BootsAddress = 0x510;
    private const byte Counting = 0x01, Broken = 0xee;

    private static void WaitCounting(SoftTestMachine m, ulong minimumCount, ulong minimumTicks, string what, bool announced = true) =>
        m.WaitUntil(x =>
        {
            Assert.DoesNotContain(Broken, x.Port.Written);
            return (!announced || x.Port.Written.Contains(Counting)) &&
                   x.Read64(CounterAddress) >= minimumCount && x.Read64(TicksAddress) >= minimumTicks;
        }, what);

    [Fact]
    public void TheGuestReachesLongModeAndCountsWhileThePitTicks()
    {
        using var m = SoftTestMachine.Start("count64");
        WaitCounting(m, 100_000, 5, "the guest to count with the timer ticking");
        var state = m.Vcpu0.GetSpecialRegisters();
        Assert.True((state.Efer & 0x400) != 0, "long mode active");
        Assert.True(state.Cs.Long);
        Assert.Equal(1UL, m.Read64(BootsAddress));
        Assert.Null(m.Vcpu0.Cpu.LastInternalError);
    }

    [Fact]
    public void PauseKicksTheVcpuPromptlyAndNothingRunsUntilResume()
    {
        using var m = SoftTestMachine.Start("count64");
        WaitCounting(m, 10_000, 3, "the guest to count");
        var sw = Stopwatch.StartNew();
        m.Vm.Pause();
        sw.Stop();
        Assert.True(sw.ElapsedMilliseconds < 2000, $"Pause took {sw.ElapsedMilliseconds} ms");
        ulong counter = m.Read64(CounterAddress), ticks = m.Read64(TicksAddress);
        Thread.Sleep(200);
        Assert.Equal(counter, m.Read64(CounterAddress));
        Assert.Equal(ticks, m.Read64(TicksAddress));
        m.Vm.Resume();
        WaitCounting(m, counter + 10_000, ticks + 2, "the guest to count and tick again");
        Assert.Equal(new[] { Counting }, m.Port.Written);
    }

    [Fact]
    public void ANewMachineBuiltFromTheCapturedStateContinuesTheCount()
    {
        byte[] image, saved;
        ulong counter, ticks;
        using (var first = SoftTestMachine.Start("count64"))
        {
            WaitCounting(first, 10_000, 3, "the guest to count");
            first.Vm.Pause();
            counter = first.Read64(CounterAddress);
            ticks = first.Read64(TicksAddress);
            var state = first.Vm.CaptureState();
            var cpu = state.Vcpus[0];
            Assert.True((cpu.SpecialRegisters.Efer & 0x400) != 0);
            Assert.True(cpu.SpecialRegisters.Cs.Long);
            Assert.InRange(cpu.Registers.Rbx, counter, counter + 1);
            Assert.Equal(0x20, state.Platform.PicMaster.IrqBase);
            Assert.Equal(0xfe, state.Platform.PicMaster.Imr);
            Assert.Equal(2, state.Platform.Pit.Channels[0].Mode);
            Assert.Equal(11932u, state.Platform.Pit.Channels[0].Count);
            Assert.Contains(cpu.Msrs, msr => msr.Index == 0x10);
            saved = MachineStateCodec.Encode(state);
            image = first.Memory.GetSpan(0, (int)SoftTestMachine.RamSize).ToArray();
        }

        using var second = SoftTestMachine.FromState(image, MachineStateCodec.Decode(saved));
        WaitCounting(second, counter + 10_000, ticks + 3, "the restored guest to count and tick", announced: false);
        Assert.Equal(1UL, second.Read64(BootsAddress));
        Assert.Empty(second.Port.Written);
    }

    [Fact]
    public void InstructionsPerSecondAreReported()
    {
        using var m = SoftTestMachine.Start("count64");
        WaitCounting(m, 1, 0, "the guest to count");
        long i0 = m.Vcpu0.InstructionsRetired;
        var sw = Stopwatch.StartNew();
        Thread.Sleep(1000);
        long i1 = m.Vcpu0.InstructionsRetired;
        double mips = (i1 - i0) / sw.Elapsed.TotalSeconds / 1e6;
        output.WriteLine($"count64 on the soft backend: {mips:F1} M instructions/s (Debug/Release as built), PIT IRQs {m.Backend.PitIrq0Count}");
        Assert.True(i1 > i0, "the vCPU retired no instructions in a second");
    }
}
