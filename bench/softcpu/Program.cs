using System.Diagnostics;
using Xenon.Machine;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;

// usage: SoftCpuBench GUEST.bin [seconds]
//        SoftCpuBench boot KERNEL-DIR [seconds] [serial-log] [cmdline] [vcpus]
//          (cmdline and vcpus also from XENON_SOFTCPU_CMDLINE and XENON_SOFTCPU_VCPUS, for run.sh)
// The first form runs a 16-bit machine-test guest loaded at 0x1000 (1 MiB RAM, PIC + PIT, debug port 0xf4) on the soft
// backend and prints the instructions retired each second, then the best and the mean of the last half.
// The second boots the default guest's kernel and initrd (BootBench) and prints the time to each marker.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: SoftCpuBench GUEST.bin [seconds] | SoftCpuBench boot KERNEL-DIR [seconds] [serial-log] [cmdline]");
    return 2;
}
if (args[0] == "boot")
    return BootBench.Run(args[1], args.Length > 2 ? int.Parse(args[2]) : 300, args.Length > 3 ? args[3] : "/dev/null",
        args.Length > 4 ? args[4] : Environment.GetEnvironmentVariable("XENON_SOFTCPU_CMDLINE") ?? BootBench.DefaultCmdline,
        args.Length > 5 ? int.Parse(args[5]) : int.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_VCPUS"), out int n) ? n : 1);
var code = File.ReadAllBytes(args[0]);
int seconds = args.Length > 1 ? int.Parse(args[1]) : 10;

var memory = GuestMemory.Create([(0UL, 0x100000UL)]);
var backend = new SoftVmBackend(memory);
backend.CreateInterruptControllers();
using var vm = new VirtualMachine(backend, memory, 1, Console.Error.WriteLine);
vm.Pio.Register(0xf4, 2, new DebugPort());
memory.Write(0x1000, code);
vm.CreateVcpus(v =>
{
    var s = v.GetSpecialRegisters();
    s.Cs.Base = 0; s.Cs.Selector = 0;
    s.Ds.Base = 0; s.Ds.Selector = 0;
    s.Es.Base = 0; s.Es.Selector = 0;
    s.Ss.Base = 0; s.Ss.Selector = 0;
    v.SetSpecialRegisters(s);
    v.SetRegisters(new X86Registers { Rip = 0x1000, Rsp = 0x8000, Rflags = 2 });
});
var vcpu = (SoftVcpuBackend)vm.Vcpu(0);
vm.Start();

var rates = new List<double>();
double cpuStart = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
long last = 0;
var sw = Stopwatch.StartNew();
double lastT = 0;
for (int i = 0; i < seconds && !vm.Exited.IsCompleted; i++)
{
    Thread.Sleep(1000);
    long now = vcpu.InstructionsRetired;
    double t = sw.Elapsed.TotalSeconds;
    double rate = (now - last) / (t - lastT) / 1e6;
    rates.Add(rate);
    Console.WriteLine($"t={t,5:F1}s  {rate,7:F1} M instructions/s  (total {now / 1e6:F0} M, PIT IRQs {backend.PitIrq0Count})");
    (last, lastT) = (now, t);
}
vm.RequestShutdown(ShutdownReason.PowerOff, "benchmark done");
var tail = rates.Skip(rates.Count / 2).ToList();
Console.WriteLine($"best {rates.Max():F1} M/s; mean of the last {tail.Count} s {tail.Average():F1} M/s");
// Per CPU-second of the whole process (the vCPU thread is nearly all of it): comparable under a varying host load.
double cpuUsed = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpuStart;
Console.WriteLine($"{last / cpuUsed / 1e6:F1} M instructions per process CPU-second ({cpuUsed:F1} CPU-s, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
return 0;

internal sealed class DebugPort : IPioDevice
{
    public void Read(ushort offset, Span<byte> data) => data.Fill(0x99);

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        if (data[0] == 0xee) Console.Error.WriteLine("guest reports its count broken (0xee)");
    }
}
