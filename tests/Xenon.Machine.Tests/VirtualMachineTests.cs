using Xenon.Machine.Backend;
using Xenon.Machine.Bus;
using Xenon.Machine.Memory;
using Xenon.Machine.Tests.Fakes;

namespace Xenon.Machine.Tests;

public sealed class VirtualMachineTests
{
    private sealed class ShutdownPort(IMachineControl control, ShutdownReason reason) : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data) => data.Fill(0x5a);
        public void Write(ushort offset, ReadOnlySpan<byte> data) => control.RequestShutdown(reason, $"port wrote {data[0]}");
    }

    private sealed class ThrowingPort : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data) => throw new InvalidOperationException("device bug (read)");
        public void Write(ushort offset, ReadOnlySpan<byte> data) => throw new InvalidOperationException("device bug (write)");
    }

    private static (VirtualMachine Vm, ScriptedBackend Backend, List<string> Log) Create(int vcpus,
        Func<int, IEnumerable<Func<IVcpuExitHandler, int, VcpuExit>>> scripts)
    {
        var backend = new ScriptedBackend(scripts);
        var log = new List<string>();
        var vm = new VirtualMachine(backend, GuestMemory.Create([(0UL, 0x10000UL)]), vcpus, m => { lock (log) log.Add(m); });
        return (vm, backend, log);
    }

    private static MachineExit Finish(VirtualMachine vm)
    {
        Assert.True(vm.Exited.Wait(TimeSpan.FromSeconds(10)), "machine did not stop");
        return vm.Exited.Result;
    }

    [Fact]
    public void MapsEveryRegionOfGuestMemory()
    {
        var (vm, backend, _) = Create(1, _ => []);
        using (vm)
        {
            Assert.Single(backend.Mapped);
            Assert.Equal(0x10000UL, backend.Mapped[0].Size);
        }
        Assert.True(backend.Disposed);
    }

    [Fact]
    public void DeviceShutdownRequestStopsEveryVcpuWithThatReason()
    {
        var (vm, backend, _) = Create(3, i => i == 1 ? [Steps.Out(0x10, 7)] : []);
        using (vm)
        {
            vm.Pio.Register(0x10, 1, new ShutdownPort(vm, ShutdownReason.Reboot));
            vm.CreateVcpus(_ => { });
            vm.Start();
            var exit = Finish(vm);
            Assert.Equal(ShutdownReason.Reboot, exit.Reason);
            Assert.Equal("port wrote 7", exit.Detail);
            Assert.All(backend.Vcpus, v => Assert.True(v.Kicks >= 1, $"vCPU {v.Index} was not kicked"));
        }
    }

    [Theory]
    [InlineData(VcpuExitKind.Shutdown, ShutdownReason.Crash, "triple fault")]
    [InlineData(VcpuExitKind.SystemReset, ShutdownReason.Reboot, "reset")]
    [InlineData(VcpuExitKind.SystemPowerOff, ShutdownReason.PowerOff, "power-off")]
    [InlineData(VcpuExitKind.Error, ShutdownReason.Crash, "emulation failure")]
    [InlineData(VcpuExitKind.Halt, ShutdownReason.PowerOff, "halted")]
    public void VcpuExitsMapToShutdownReasons(VcpuExitKind kind, ShutdownReason expected, string detailPart)
    {
        var (vm, _, _) = Create(1, _ => [Steps.Exit(kind, kind == VcpuExitKind.Error ? "emulation failure" : null)]);
        using (vm)
        {
            vm.CreateVcpus(_ => { });
            vm.Start();
            var exit = Finish(vm);
            Assert.Equal(expected, exit.Reason);
            Assert.Contains(detailPart, exit.Detail);
        }
    }

    [Fact]
    public void FirstShutdownRequestWins()
    {
        var (vm, _, _) = Create(1, _ => [Steps.Out(0x10, 1), Steps.Out(0x11, 2)]);
        using (vm)
        {
            vm.Pio.Register(0x10, 1, new ShutdownPort(vm, ShutdownReason.PowerOff));
            vm.Pio.Register(0x11, 1, new ShutdownPort(vm, ShutdownReason.Crash));
            vm.CreateVcpus(_ => { });
            vm.Start();
            Assert.Equal(ShutdownReason.PowerOff, Finish(vm).Reason);
        }
    }

    [Fact]
    public void ADeviceExceptionDoesNotStopTheGuestAndReadsAsAllOnes()
    {
        var read = new byte[2];
        var (vm, _, log) = Create(1, _ => [Steps.Out(0x20, 1), Steps.In(0x20, read), Steps.Out(0x10, 1)]);
        using (vm)
        {
            vm.Pio.Register(0x20, 1, new ThrowingPort());
            vm.Pio.Register(0x10, 1, new ShutdownPort(vm, ShutdownReason.PowerOff));
            vm.CreateVcpus(_ => { });
            vm.Start();
            Assert.Equal(ShutdownReason.PowerOff, Finish(vm).Reason);
            Assert.Equal(new byte[] { 0xff, 0xff }, read);
            Assert.Equal(2, vm.DeviceFaults);
            Assert.Contains(log, l => l.Contains("device bug (write)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AnExceptionInTheVcpuLoopIsACrashNotAProcessCrash()
    {
        var (vm, _, _) = Create(2, i => i == 0 ? [Steps.Throw("backend exploded")] : []);
        using (vm)
        {
            vm.CreateVcpus(_ => { });
            vm.Start();
            var exit = Finish(vm);
            Assert.Equal(ShutdownReason.Crash, exit.Reason);
            Assert.Contains("backend exploded", exit.Detail);
        }
    }

    [Fact]
    public void StartBeforeCreateVcpusIsRefused()
    {
        var (vm, _, _) = Create(1, _ => []);
        using (vm) Assert.Throws<InvalidOperationException>(() => vm.Start());
    }
}
