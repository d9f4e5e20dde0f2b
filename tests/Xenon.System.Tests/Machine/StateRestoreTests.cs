using Xenon.Machine;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Cpu;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.System.Tests.Machine;

/// <summary>
/// Pause and save/restore on the real /dev/kvm with guests/count64.S: a 64-bit guest that counts in RBX and in memory
/// while the PIT interrupts it. A restored machine must resume the count where the old one stopped (the guest checks
/// register against memory itself) with its timer still ticking, without rebooting.
/// </summary>
[Trait("Requires", "Kvm")]
public sealed class StateRestoreTests
{
    private const ulong RamSize = 0x100000, Origin = 0x1000;
    private const ulong CounterAddress = 0x500, TicksAddress = 0x508, BootsAddress = 0x510;
    private const byte Counting = 0x01, Broken = 0xee;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>A minimal machine: RAM, the in-kernel PIC/IOAPIC/PIT, the debug port. Booted, or built from a state.</summary>
    private sealed class CountingMachine : IDisposable
    {
        private readonly List<string> _log = [];

        private CountingMachine(ReadOnlySpan<byte> memoryImage, bool boot)
        {
            Memory = GuestMemory.Create([(0UL, RamSize)]);
            var backend = new KvmVmBackend();
            backend.CreateInterruptControllers();
            Vm = new VirtualMachine(backend, Memory, 1, m => { lock (_log) _log.Add(m); });
            Vm.Pio.Register(TestMachine.DebugPort, 2, Port);
            Memory.Write(0, memoryImage);
            var supported = backend.GetSupportedCpuid();
            Vm.CreateVcpus(v =>
            {
                if (!boot) return; // the state carries CPUID and every register
                v.SetCpuid(CpuidBuilder.Build(supported, 0, ApicIds.ForVcpu(0), 1));
                v.ResetFpu();
                var s = v.GetSpecialRegisters();
                s.Cs.Base = 0; s.Cs.Selector = 0;
                s.Ds.Base = 0; s.Ds.Selector = 0;
                s.Ss.Base = 0; s.Ss.Selector = 0;
                v.SetSpecialRegisters(s);
                v.SetRegisters(new Xenon.Machine.Backend.X86Registers { Rip = Origin, Rsp = 0x8000, Rflags = 2 });
            });
        }

        public GuestMemory Memory { get; }
        public VirtualMachine Vm { get; }
        public TestPort Port { get; } = new();

        public static CountingMachine Boot()
        {
            var image = new byte[RamSize];
            TinyGuests.Load("count64").CopyTo(image, (int)Origin);
            var m = new CountingMachine(image, boot: true);
            m.Vm.Start();
            return m;
        }

        public static CountingMachine FromState(byte[] memoryImage, MachineState state, bool paused)
        {
            var m = new CountingMachine(memoryImage, boot: false);
            m.Vm.StartFromState(state, paused);
            return m;
        }

        public ulong Counter => Memory.Read<ulong>(CounterAddress);
        public ulong Ticks => Memory.Read<ulong>(TicksAddress);
        public ulong Boots => Memory.Read<ulong>(BootsAddress);

        public void WaitUntil(Func<CountingMachine, bool> condition, string what)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (!condition(this))
            {
                // the message only once the exit is known: reading Exited.Result earlier would block until the machine stops
                if (Vm.Exited.IsCompleted) Assert.Fail($"the machine stopped while waiting for {what}: {Vm.Exited.Result}; {Describe()}");
                Assert.DoesNotContain(Broken, Port.Written);
                Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; {Describe()}");
                Thread.Sleep(10);
            }
        }

        public string Describe()
        {
            string log;
            lock (_log) log = string.Join("; ", _log);
            return $"counter {Counter}, ticks {Ticks}, boots {Boots}, port [{string.Join(' ', Port.Written.Select(b => b.ToString("x2")))}], log: {log}";
        }

        public void Dispose() => Vm.Dispose();
    }

    [Fact]
    public void APausedGuestMakesNoProgressAndResumesWhereItStopped()
    {
        Requirements.Kvm();
        using var m = CountingMachine.Boot();
        m.WaitUntil(x => x.Port.Written.Contains(Counting) && x.Counter > 10_000 && x.Ticks >= 3, "the guest to count with the timer ticking");

        m.Vm.Pause();
        Assert.True(m.Vm.IsPaused);
        ulong counter = m.Counter, ticks = m.Ticks;
        Thread.Sleep(300); // about 30 PIT periods
        Assert.Equal(counter, m.Counter);
        Assert.Equal(ticks, m.Ticks);
        Assert.False(m.Vm.Exited.IsCompleted, "a pause must not end the machine");

        m.Vm.Resume();
        m.WaitUntil(x => x.Counter > counter + 10_000 && x.Ticks > ticks + 2, "the guest to count and tick again");
        Assert.Equal(1UL, m.Boots);
        Assert.Equal(new[] { Counting }, m.Port.Written);
    }

    [Fact]
    public void ANewMachineBuiltFromTheCapturedStateContinuesTheCount()
    {
        Requirements.Kvm();
        byte[] image;
        byte[] saved;
        ulong counter, ticks;
        using (var first = CountingMachine.Boot())
        {
            first.WaitUntil(x => x.Port.Written.Contains(Counting) && x.Counter > 10_000 && x.Ticks >= 3, "the guest to count with the timer ticking");
            first.Vm.Pause();
            counter = first.Counter;
            ticks = first.Ticks;
            var state = first.Vm.CaptureState();

            var cpu = state.Vcpus[0];
            Assert.True((cpu.SpecialRegisters.Efer & 0x400) != 0, $"EFER.LMA should be set in the captured state (EFER 0x{cpu.SpecialRegisters.Efer:x})");
            Assert.True(cpu.SpecialRegisters.Cs.Long, "CS should be a 64-bit code segment");
            Assert.InRange(cpu.Registers.Rbx, counter, counter + 1); // paused between the increment and the store, or not
            Assert.Equal(0x20, state.Platform.PicMaster.IrqBase);
            Assert.Equal(2, state.Platform.Pit.Channels[0].Mode);
            Assert.Contains(cpu.Msrs, msr => msr.Index == 0x10); // the TSC travels
            Assert.NotEmpty(cpu.Cpuid);

            // through the serialised form, as a save file or a migration stream would carry it
            saved = MachineStateCodec.Encode(state);
            image = first.Memory.GetSpan(0, (int)RamSize).ToArray();
        } // the first VM is destroyed here

        var restored = MachineStateCodec.Decode(saved);
        using var second = CountingMachine.FromState(image, restored, paused: true);
        Thread.Sleep(100);
        Assert.Equal(counter, second.Counter); // nothing runs before Resume
        second.Vm.Resume();

        second.WaitUntil(x => x.Counter > counter + 10_000 && x.Ticks > ticks + 3, "the restored guest to count and tick");
        Assert.Equal(1UL, second.Boots);   // resumed, not rebooted
        Assert.Empty(second.Port.Written); // no second "counting" announcement, no "broken" report
        Assert.False(second.Vm.Exited.IsCompleted);
    }
}
