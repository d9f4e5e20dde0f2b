using System.Diagnostics;
using System.Text;
using Xenon.Devices.Legacy.Serial;
using Xenon.Domain;
using Xenon.Machine;
using Xenon.Machine.Boot;
using Xenon.Machine.Cpu;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;

/// <summary>Boots DIR/vmlinuz + DIR/initrd.img (the default guest) on the soft backend with the PC platform devices and
/// no disks, and reports the time to each of the guest's markers. Serial output goes to OUT.</summary>
internal static class BootBench
{
    public const string DefaultCmdline = "console=ttyS0 nolapic noapic panic=-1";
    private static readonly string[] Markers = ["Run /init", "XENON-INIT-OK", "XENON-SHELL"];

    public static int Run(string dir, int seconds, string serialPath, string cmdline)
    {
        var kernel = File.ReadAllBytes(Path.Combine(dir, "vmlinuz"));
        var initrd = File.ReadAllBytes(Path.Combine(dir, "initrd.img"));
        var sw = Stopwatch.StartNew();
        using var serial = new MarkerWatch(File.Create(serialPath), sw);
        var memory = GuestMemory.CreateX86(256 * X86Layout.MiB);
        var backend = new SoftVmBackend(memory, 1);
        backend.CreateInterruptControllers();
        using var vm = new VirtualMachine(backend, memory, 1, m => Console.Error.WriteLine("[vm] " + m));
        using var platform = PcPlatform.Attach(vm, serial, m => Console.Error.WriteLine("[pc] " + m));
        var plan = DirectKernelBoot.Prepare(memory, kernel, initrd, cmdline, 1, 1);
        var supported = backend.GetSupportedCpuid();
        vm.CreateVcpus(v =>
        {
            v.SetCpuid(CpuidBuilder.Build(supported, 0, ApicIds.ForVcpu(0), 1));
            v.ResetFpu();
            v.SetSpecialRegisters(plan.SpecialRegisters);
            v.SetRegisters(plan.Registers);
        });
        var vcpu = (SoftVcpuBackend)vm.Vcpu(0);
        vm.Start();
        while (sw.Elapsed.TotalSeconds < seconds && !vm.Exited.IsCompleted && !serial.Seen(Markers[^1])) Thread.Sleep(100);
        double t = sw.Elapsed.TotalSeconds;
        long retired = vcpu.InstructionsRetired;
        foreach (var m in Markers)
            Console.WriteLine(serial.At(m) is { } at ? $"{m,-14} {at,6:F1} s" : $"{m,-14}  (not reached in {seconds} s)");
        Console.WriteLine($"{retired / 1e6:F0} M instructions in {t:F1} s: {retired / t / 1e6:F1} M/s; PIT IRQs {backend.PitIrq0Count}; " +
                          $"last unimplemented {vcpu.Cpu.LastUnimplemented}");
        if (vm.Exited.IsCompleted) Console.WriteLine($"machine exited: {vm.Exited.Result}");
        else if (serial.At(Markers[^1]) is null)
        {
            // a stall: what the CPU and the PIC were doing
            var pic = backend.GetPlatformState().PicMaster;
            var cpu = vcpu.Cpu;
            var slave = backend.GetPlatformState().PicSlave;
            var uart = platform.Serial.GetState();
            Console.WriteLine($"stalled: rip=0x{cpu.State.Rip:x} rflags=0x{cpu.GetRflags():x} halted={cpu.State.Halted} " +
                              $"pic irr=0x{pic.Irr:x} isr=0x{pic.Isr:x} imr=0x{pic.Imr:x} last=0x{pic.LastIrr:x} elcr=0x{pic.Elcr:x}; " +
                              $"slave irr=0x{slave.Irr:x} isr=0x{slave.Isr:x} imr=0x{slave.Imr:x} last=0x{slave.LastIrr:x} elcr=0x{slave.Elcr:x}; " +
                              $"pit ch0 mode {backend.GetPlatformState().Pit.Channels[0].Mode}; uart ier=0x{uart.Ier:x} mcr=0x{uart.Mcr:x} " +
                              $"thre-pending={uart.ThrEmptyInterruptPending}");
        }
        vm.RequestShutdown(ShutdownReason.PowerOff, "benchmark done");
        return serial.At(Markers[^1]) is null ? 1 : 0;
    }

    private sealed class MarkerWatch(Stream file, Stopwatch clock) : ISerialOutput, IDisposable
    {
        private readonly StringBuilder _tail = new();
        private readonly Dictionary<string, double> _seen = [];

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_seen)
            {
                file.Write(data);
                foreach (var b in data) _tail.Append((char)b);
                foreach (var m in Markers)
                    if (!_seen.ContainsKey(m) && _tail.ToString().Contains(m)) _seen[m] = clock.Elapsed.TotalSeconds;
                if (_tail.Length > 256) _tail.Remove(0, _tail.Length - 64);
            }
        }

        public bool Seen(string marker)
        {
            lock (_seen) return _seen.ContainsKey(marker);
        }

        public double? At(string marker)
        {
            lock (_seen) return _seen.TryGetValue(marker, out var t) ? t : null;
        }

        public void Dispose()
        {
            lock (_seen) file.Dispose();
        }
    }
}
