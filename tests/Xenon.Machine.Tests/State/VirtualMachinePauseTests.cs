using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.State;
using Xenon.Machine.Tests.Fakes;

namespace Xenon.Machine.Tests.State;

/// <summary>Pause, resume, and state capture/restore of <see cref="VirtualMachine"/> over the scripted fake backend.</summary>
public sealed class VirtualMachinePauseTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A vCPU that keeps executing "instructions" (one counted I/O exit each) until stopped.</summary>
    private sealed class Counter
    {
        public long Value;

        public IEnumerable<Func<IVcpuExitHandler, int, VcpuExit>> Script()
        {
            while (true)
                yield return (_, _) =>
                {
                    Interlocked.Increment(ref Value);
                    Thread.Sleep(1);
                    return VcpuExit.IoDone;
                };
        }

        public long Read() => Interlocked.Read(ref Value);
    }

    private static (VirtualMachine Vm, ScriptedBackend Backend) Create(int vcpus, Func<int, IEnumerable<Func<IVcpuExitHandler, int, VcpuExit>>> scripts)
    {
        var backend = new ScriptedBackend(scripts);
        var vm = new VirtualMachine(backend, GuestMemory.Create([(0UL, 0x10000UL)]), vcpus);
        vm.CreateVcpus(_ => { });
        return (vm, backend);
    }

    private static MachineExit Finish(VirtualMachine vm)
    {
        Assert.True(vm.Exited.Wait(Timeout), "machine did not stop");
        return vm.Exited.Result;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void PauseStopsEveryVcpuAndResumeLetsThemContinue()
    {
        var counters = new[] { new Counter(), new Counter() };
        var (vm, _) = Create(2, i => counters[i].Script());
        using (vm)
        {
            vm.Start();
            WaitFor(() => counters[0].Read() > 3 && counters[1].Read() > 3, "both vCPUs to run");

            vm.Pause();
            Assert.True(vm.IsPaused);
            long a = counters[0].Read(), b = counters[1].Read();
            Thread.Sleep(100);
            Assert.Equal(a, counters[0].Read());
            Assert.Equal(b, counters[1].Read());
            Assert.False(vm.Exited.IsCompleted, "a pause must not be taken for a guest exit");

            vm.Resume();
            Assert.False(vm.IsPaused);
            WaitFor(() => counters[0].Read() > a + 3 && counters[1].Read() > b + 3, "both vCPUs to run again");
        }
    }

    [Fact]
    public void PauseTwiceAndResumeTwiceAreHarmless()
    {
        var counter = new Counter();
        var (vm, _) = Create(1, _ => counter.Script());
        using (vm)
        {
            vm.Start();
            vm.Pause();
            vm.Pause();
            long a = counter.Read();
            vm.Resume();
            vm.Resume();
            WaitFor(() => counter.Read() > a + 3, "the vCPU to run again");
        }
    }

    [Fact]
    public void AnIdleVcpuBlockedInsideRunIsKickedOutAndParks()
    {
        var (vm, backend) = Create(2, _ => []); // both wait inside Run until kicked
        using (vm)
        {
            vm.Start();
            vm.Pause();
            Assert.All(backend.Vcpus, v => Assert.True(v.Kicks >= 1));
            Assert.False(vm.Exited.IsCompleted);
        }
    }

    [Fact]
    public void CaptureRunsGetStateOnEachVcpusOwnThreadWhileNoneRuns()
    {
        var counters = new[] { new Counter(), new Counter(), new Counter() };
        var (vm, backend) = Create(3, i => counters[i].Script());
        using (vm)
        {
            vm.Start();
            WaitFor(() => counters.All(c => c.Read() > 0), "every vCPU to run");
            vm.Pause();
            var state = vm.CaptureState();

            Assert.Equal(3, state.Vcpus.Count);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal((uint)(1000 + i), state.Vcpus[i].TscKhz);
                var v = backend.Vcpus[i];
                Assert.Single(v.StateThreads);
                Assert.Equal(v.RunThreads.Single(), v.StateThreads[0]);
                Assert.NotEqual(Environment.CurrentManagedThreadId, v.StateThreads[0]);
            }
            Assert.Same(backend.Platform, state.Platform);
        }
    }

    [Fact]
    public void RestoreAppliesEachVcpusStateOnItsThreadThenThePlatform()
    {
        var (vm, backend) = Create(2, _ => []);
        using (vm)
        {
            vm.Start();
            vm.Pause();
            var states = new[] { new VcpuState { Registers = new X86Registers { Rip = 0x1111 } }, new VcpuState { Registers = new X86Registers { Rip = 0x2222 } } };
            var platform = new PlatformState { ClockNs = 99 };
            vm.RestoreState(new MachineState(states, platform));

            Assert.Same(states[0], backend.Vcpus[0].LastSetState);
            Assert.Same(states[1], backend.Vcpus[1].LastSetState);
            Assert.Equal(0x2222UL, backend.Vcpus[1].GetRegisters().Rip);
            Assert.Same(platform, backend.Platform);
            Assert.Equal(backend.Vcpus[0].RunThreads.Single(), backend.Vcpus[0].StateThreads.Single());
        }
    }

    [Fact]
    public void StartFromStateRestoresBeforeTheFirstRunAndThenRuns()
    {
        var counter = new Counter();
        var (vm, backend) = Create(1, _ => counter.Script());
        using (vm)
        {
            var state = new VcpuState { Registers = new X86Registers { Rax = 42 } };
            vm.StartFromState(new MachineState([state], new PlatformState()));
            Assert.False(vm.IsPaused);
            WaitFor(() => counter.Read() > 0, "the restored vCPU to run");
            Assert.Same(state, backend.Vcpus[0].LastSetState);
            Assert.Equal(1, backend.PlatformSets);
        }
    }

    [Fact]
    public void StartFromStatePausedRunsNothingUntilResumed()
    {
        var counter = new Counter();
        var (vm, _) = Create(1, _ => counter.Script());
        using (vm)
        {
            vm.StartFromState(new MachineState([new VcpuState()], new PlatformState()), paused: true);
            Thread.Sleep(50);
            Assert.Equal(0, counter.Read());
            Assert.True(vm.IsPaused);
            vm.Resume();
            WaitFor(() => counter.Read() > 0, "the vCPU to run after resume");
        }
    }

    [Fact]
    public void StateOperationsNeedAPausedMachine()
    {
        var (vm, _) = Create(1, _ => []);
        using (vm)
        {
            Assert.Throws<InvalidOperationException>(vm.Pause); // not started
            vm.Start();
            Assert.Throws<InvalidOperationException>(() => vm.CaptureState());
            Assert.Throws<InvalidOperationException>(() => vm.RestoreState(new MachineState([new VcpuState()], new PlatformState())));
        }
    }

    [Fact]
    public void RestoreRefusesAStateWithAnotherVcpuCount()
    {
        var (vm, _) = Create(2, _ => []);
        using (vm)
        {
            vm.Start();
            vm.Pause();
            var e = Assert.Throws<ArgumentException>(() => vm.RestoreState(new MachineState([new VcpuState()], new PlatformState())));
            Assert.Contains("1 vCPUs", e.Message);
        }
    }

    [Fact]
    public void AFailingCaptureNamesTheVcpuAndLeavesTheMachinePausedAndUsable()
    {
        var counter = new Counter();
        var (vm, backend) = Create(2, i => i == 0 ? counter.Script() : []);
        using (vm)
        {
            vm.Start();
            vm.Pause();
            backend.Vcpus[1].GetStateFailure = new InvalidOperationException("KVM_GET_XSAVE failed");
            var e = Assert.Throws<InvalidOperationException>(() => vm.CaptureState());
            Assert.Contains("vCPU 1", e.Message);
            Assert.Contains("KVM_GET_XSAVE", e.Message);
            Assert.True(vm.IsPaused);

            long a = counter.Read();
            vm.Resume();
            WaitFor(() => counter.Read() > a, "the vCPU to run after the failed capture");
        }
    }

    [Fact]
    public void ShutdownWhilePausedEndsTheMachine()
    {
        var (vm, _) = Create(2, _ => []);
        using (vm)
        {
            vm.Start();
            vm.Pause();
            vm.RequestShutdown(ShutdownReason.PowerOff, "destroyed while paused");
            Assert.Equal(ShutdownReason.PowerOff, Finish(vm).Reason);
            Assert.Throws<InvalidOperationException>(() => vm.CaptureState());
        }
    }

    [Fact]
    public void PauseReturnsWhenAVcpuCrashesInsteadOfParking()
    {
        var (vm, _) = Create(2, i => i == 0 ? [Steps.Throw("backend exploded")] : []);
        using (vm)
        {
            vm.Start();
            var exit = Finish(vm);
            vm.Pause(); // must not hang: there is nothing left to park
            Assert.Equal(ShutdownReason.Crash, exit.Reason);
        }
    }

    [Fact]
    public void DisposeOfAPausedMachineStopsIt()
    {
        var (vm, backend) = Create(1, _ => []);
        vm.Start();
        vm.Pause();
        vm.Dispose();
        Assert.True(vm.Exited.IsCompleted);
        Assert.True(backend.Disposed);
    }
}
