using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.State;
using Xenon.Machine.Tests.Fakes;

namespace Xenon.Machine.Tests.State;

/// <summary>A restore under a <see cref="RestoreProfile"/> names its steps: the wait for the parked vCPUs, each vCPU's
/// work on its own thread (first the hand-off's wake-up), then the platform; without a profile nothing is recorded.</summary>
public sealed class VirtualMachineRestoreProfileTests
{
    private static VirtualMachine Create(int vcpus, ScriptedBackend backend)
    {
        var vm = new VirtualMachine(backend, GuestMemory.Create([(0UL, 0x10000UL)]), vcpus);
        vm.CreateVcpus(_ => { });
        return vm;
    }

    private static MachineState State(int vcpus)
    {
        var states = new VcpuState[vcpus];
        for (int i = 0; i < vcpus; i++) states[i] = new VcpuState { Registers = new X86Registers { Rip = 0x1000UL + (ulong)i } };
        return new MachineState(states, new PlatformState { ClockNs = 5 });
    }

    [Fact]
    public void AProfiledRestoreNamesTheWaitEachVcpusWorkAndThePlatform()
    {
        var backend = new ScriptedBackend(_ => []);
        using var vm = Create(2, backend);
        var profile = new RestoreProfile();
        using (profile.Enter()) vm.StartFromState(State(2), paused: true);

        // Any step may carry a JIT note (this test's code is compiled as it runs): "(JIT n, t ms)".
        string t = @"\d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?";
        Assert.Matches($"^threads {t}, wait {t}, vcpus {t} \\[0: wake {t}; 1: wake {t}\\], platform {t}$", profile.ToString());
        // The state still went in, each on its vCPU's thread.
        Assert.Equal(0x1001UL, backend.Vcpus[1].LastSetState!.Registers.Rip);
        Assert.Equal(5UL, backend.Platform!.ClockNs);
        Assert.Null(RestoreProfile.Current);
    }

    [Fact]
    public void AnUnprofiledRestoreLeavesNoTrace()
    {
        var backend = new ScriptedBackend(_ => []);
        using var vm = Create(1, backend);
        var bystander = new RestoreProfile();
        vm.StartFromState(State(1), paused: true);
        Assert.True(bystander.IsEmpty);
        Assert.Equal(0x1000UL, backend.Vcpus[0].LastSetState!.Registers.Rip);
    }

    [Fact]
    public void AFailingVcpuStillFailsTheProfiledRestoreNamingTheVcpu()
    {
        var backend = new ScriptedBackend(_ => []);
        using var vm = Create(1, backend);
        vm.Start(paused: true);
        backend.Vcpus[0].SetStateFailure = new InvalidOperationException("KVM_SET_SREGS: Invalid argument");
        var profile = new RestoreProfile();
        using (profile.Enter())
        {
            vm.Pause();
            var e = Assert.Throws<InvalidOperationException>(() => vm.RestoreState(State(1)));
            Assert.Contains("vCPU 0", e.Message, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("platform", profile.ToString(), StringComparison.Ordinal);
    }
}
