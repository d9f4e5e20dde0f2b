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
/// no disks, and reports the time to each of the guest's markers. Serial output goes to OUT. With a command after " -- "
/// on the command line, the guest's /init runs it and prints XENON-CMD-RC instead of starting its shell.</summary>
internal static class BootBench
{
    public const string DefaultCmdline = "console=ttyS0 panic=-1";
    private static readonly string[] Markers = ["Run /init", "XENON-INIT-OK", "XENON-SHELL", "XENON-CMD-RC"];
    private static readonly string[] FinalMarkers = ["XENON-SHELL", "XENON-CMD-RC"];

    public static int Run(string dir, int seconds, string serialPath, string cmdline, int vcpus = 1)
    {
        var kernel = File.ReadAllBytes(Path.Combine(dir, "vmlinuz"));
        var initrd = File.ReadAllBytes(Path.Combine(dir, "initrd.img"));
        var sw = Stopwatch.StartNew();
        using var serial = new MarkerWatch(File.Create(serialPath), sw);
        var memory = GuestMemory.CreateX86(256 * X86Layout.MiB);
        var backend = new SoftVmBackend(memory, vcpus);
        backend.CreateInterruptControllers();
        using var vm = new VirtualMachine(backend, memory, vcpus, m => Console.Error.WriteLine("[vm] " + m));
        using var platform = PcPlatform.Attach(vm, serial, m => Console.Error.WriteLine("[pc] " + m));
        var plan = DirectKernelBoot.Prepare(memory, kernel, initrd, cmdline, vcpus, vcpus);
        var supported = backend.GetSupportedCpuid();
        vm.CreateVcpus(v =>
        {
            v.SetCpuid(CpuidBuilder.Build(supported, v.Index, ApicIds.ForVcpu(v.Index), vcpus));
            v.ResetFpu();
            if (v.Index != 0) return; // application processors wait for INIT/SIPI from the guest
            v.SetSpecialRegisters(plan.SpecialRegisters);
            v.SetRegisters(plan.Registers);
        });
        var cpus = Enumerable.Range(0, vcpus).Select(i => (SoftVcpuBackend)vm.Vcpu(i)).ToArray();
        var vcpu = cpus[0];
        // XENON_SOFTCPU_JITCOST=ROUNDS: after the boot, the blocks vCPU 0 translated are translated again, ROUNDS times, with
        // the TLB probe emitted (the default) and with the helper calls (Cpu.IlEmittedTlb off) alternately: the JIT's cost
        // of the same blocks in the same minutes.
        string? jitCost = Environment.GetEnvironmentVariable("XENON_SOFTCPU_JITCOST");
        if (jitCost is not null) vcpu.Cpu.RecordTranslations = true;
        vm.Start();
        while (sw.Elapsed.TotalSeconds < seconds && !vm.Exited.IsCompleted && Final(serial) is null) Thread.Sleep(100);
        double t = sw.Elapsed.TotalSeconds;
        long retired = cpus.Sum(c => c.InstructionsRetired);
        Console.WriteLine($"cmdline: {cmdline}; {vcpus} vCPU(s)");
        foreach (var m in Markers)
            Console.WriteLine(serial.At(m) is { } at ? $"{m,-14} {at,6:F1} s" : $"{m,-14}  (not reached in {seconds} s)");
        Console.WriteLine($"{retired / 1e6:F0} M instructions in {t:F1} s: {retired / t / 1e6:F1} M/s; PIT IRQs {backend.PitIrq0Count}; " +
                          $"MSIs {backend.MsiCounts}; last unimplemented {string.Join(",", cpus.Select(c => c.Cpu.LastUnimplemented))}");
        // CPU time rather than wall time: comparable between runs on a host whose load from other work varies.
        double cpuSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        Console.WriteLine($"process CPU time {cpuSeconds:F1} s: {retired / cpuSeconds / 1e6:F1} M instructions per CPU-second");
        Console.WriteLine($"threads' CPU time: {ThreadTimes()}");
        Console.WriteLine($"IL tier: {string.Join(",", cpus.Select(c => c.Cpu.IlTier ? "on" : "off"))}; blocks translated " +
                          $"{cpus.Sum(c => c.Cpu.IlBlocksTranslated)}, translated block runs {cpus.Sum(c => c.Cpu.IlBlocksRun)}, " +
                          $"of them chained {cpus.Sum(c => c.Cpu.IlBlocksChained)}; interpreted blocks chained {cpus.Sum(c => c.Cpu.InterpretedBlocksChained)}");
        Console.WriteLine($"dispatch: block lookups in Run {cpus.Sum(c => c.Cpu.DispatcherLookups)}; chained through the recent-block " +
                          $"array {cpus.Sum(c => c.Cpu.ChainedThroughRecent)} ({string.Join(",", cpus.Select(c => c.Cpu.ChainRecent ? "on" : "off"))})");
        Console.WriteLine($"link epoch: {string.Join(",", cpus.Select(c => c.Cpu.LinkEpochs ? "on" : "off"))}; block checks skipped " +
                          $"{cpus.Sum(c => c.Cpu.LinkChecksSkipped)}, done in full {cpus.Sum(c => c.Cpu.LinkChecksFull)}");
        Console.WriteLine($"IL tier: regions {string.Join(",", cpus.Select(c => c.Cpu.IlRegions ? "on" : "off"))}; " +
                          $"{cpus.Sum(c => c.Cpu.IlRegionsTranslated)} translations hold {cpus.Sum(c => c.Cpu.IlRegionMembers)} more blocks; " +
                          $"steps between members inside a method {cpus.Sum(c => c.Cpu.IlRegionSteps)}; loop turns {cpus.Sum(c => c.Cpu.IlLoopTurns)}");
        long ilRun = cpus.Sum(c => c.Cpu.IlInstructionsRun), ilCovered = cpus.Sum(c => c.Cpu.IlInstructionsTranslated);
        double jit = cpus.Sum(c => c.Cpu.IlTranslationTicks) / (double)Stopwatch.Frequency;
        Console.WriteLine($"IL tier: {ilRun / 1e6:F0} M instructions run translated ({100.0 * ilRun / Math.Max(1, retired):F0}%), " +
                          $"{ilCovered} instructions translated in {jit:F2} s ({1000 * jit / Math.Max(1, cpus.Sum(c => c.Cpu.IlBlocksTranslated)):F2} ms a block)");
        // The vCPU thread's CPU clock around each translation and its first call (the JIT), apart from the host's load.
        long blocks = cpus.Sum(c => c.Cpu.IlBlocksTranslated), memBlocks = cpus.Sum(c => c.Cpu.IlBlocksTranslatedMemory);
        double jitCpu = cpus.Sum(c => c.Cpu.IlTranslationCpuNs) / 1e9, jitCpuMem = cpus.Sum(c => c.Cpu.IlTranslationCpuNsMemory) / 1e9;
        Console.WriteLine($"IL tier: translating took {jitCpu:F2} s of vCPU thread CPU; {memBlocks} blocks with memory accesses " +
                          $"{1000 * jitCpuMem / Math.Max(1, memBlocks):F2} ms a block, {blocks - memBlocks} without " +
                          $"{1000 * (jitCpu - jitCpuMem) / Math.Max(1, blocks - memBlocks):F2} ms; early exits to the interpreter " +
                          $"{cpus.Sum(c => c.Cpu.IlEarlyExits)}; {cpus.Sum(c => c.Cpu.IlBytesTranslated) / 1024} KiB of IL");
        Console.WriteLine($"IL tier: async {string.Join(",", cpus.Select(c => c.Cpu.IlAsync ? "on" : "off"))} (XENON_SOFTCPU_IL_ASYNC); " +
                          $"queued {cpus.Sum(c => c.Cpu.IlAsyncQueued)}, installed {cpus.Sum(c => c.Cpu.IlAsyncInstalled)}, " +
                          $"refused (queue full) {cpus.Sum(c => c.Cpu.IlAsyncRefused)}, discarded (code changed) {cpus.Sum(c => c.Cpu.IlAsyncDiscarded)}; " +
                          $"worker thread CPU for them {cpus.Sum(c => c.Cpu.IlTranslationWorkerCpuNs) / 1e9:F2} s; methods JIT-compiled on " +
                          $"the vCPU thread while translating {cpus.Sum(c => c.Cpu.IlTranslationJitMethods)}");
        Console.WriteLine($"fast path: read-modify-writes on memory through the host pointer {cpus.Sum(c => c.Cpu.FastRmwHostHits)} " +
                          $"({(cpus[0].Cpu.FastRmwHost ? "on" : "off")}, XENON_SOFTCPU_RMW_HOST)");
        // The runtime's JIT in all (the emulator's own methods at each tier, plus the translations above): what tiering the
        // emulator itself costs. Elapsed time on the compiling threads, so a loaded host inflates it.
        double jitAll = System.Runtime.JitInfo.GetCompilationTime().TotalSeconds;
        Console.WriteLine($".NET JIT: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in {jitAll:F2} s, " +
                          $"{jitAll - jit:F2} s of it outside the IL tier's translations");
        foreach (var c in cpus.Skip(1)) Console.WriteLine($"vcpu{c.Index}: {c.RunState}, {c.InstructionsRetired / 1e6:F0} M instructions");
        if (vm.Exited.IsCompleted) Console.WriteLine($"machine exited: {vm.Exited.Result}");
        else if (Final(serial) is null)
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
        if (jitCost is not null) JitCost(vcpu.Cpu, jitCost);
        return Final(serial) is null ? 1 : 0;
    }

    private static void JitCost(Xenon.Emulator.Execution.Cpu cpu, string spec)
    {
        int rounds = int.Parse(spec);
        bool[] variants = [true, false];
        var ns = variants.ToDictionary(v => v, _ => new List<double>());
        var bytes = new Dictionary<bool, long>();
        for (int r = 0; r < rounds; r++)
        {
            foreach (bool emitted in variants)
            {
                var (cpuNs, il) = cpu.Retranslate(c => c.IlEmittedTlb = emitted);
                ns[emitted].Add(cpuNs / 1e6);
                bytes[emitted] = il;
            }
        }
        // One more round of the default, block by block: the JIT's cost against IL size (least squares, ns = a + b * bytes).
        var blocks = new List<(int IlBytes, int Instructions, long CpuNs)>();
        cpu.Retranslate(_ => { }, blocks);
        double n = blocks.Count, sx = blocks.Sum(b => (double)b.IlBytes), sy = blocks.Sum(b => (double)b.CpuNs);
        double sxx = blocks.Sum(b => (double)b.IlBytes * b.IlBytes), sxy = blocks.Sum(b => (double)b.IlBytes * b.CpuNs);
        double slope = (n * sxy - sx * sy) / Math.Max(1, n * sxx - sx * sx), intercept = (sy - slope * sx) / Math.Max(1, n);
        Console.WriteLine($"jit cost per block: {sy / n / 1000:F0} us at {sx / n:F0} B of IL and {blocks.Average(b => b.Instructions):F1} " +
                          $"instructions on average; fit {intercept / 1000:F0} us + {slope:F0} ns per IL byte");
        foreach (bool emitted in variants)
        {
            var sorted = ns[emitted].OrderBy(x => x).ToList();
            Console.WriteLine($"jit cost, TLB probe {(emitted ? "emitted" : "called ")}: {cpu.RecordedTranslations} blocks, " +
                              $"{bytes[emitted] / 1024} KiB of IL, thread CPU ms median {sorted[sorted.Count / 2]:F0} " +
                              $"(min {sorted[0]:F0}, max {sorted[^1]:F0})");
        }
    }

    /// <summary>CPU seconds per thread name (Linux /proc; the busiest first): the vCPU thread's is the boot's critical path,
    /// the translator's and the runtime's own (tiering) run beside it when a core is free.</summary>
    private static string ThreadTimes()
    {
        var byName = new Dictionary<string, double>();
        try
        {
            foreach (string task in Directory.GetDirectories("/proc/self/task"))
            {
                string stat;
                try { stat = File.ReadAllText(Path.Combine(task, "stat")); }
                catch (IOException) { continue; } // the thread ended meanwhile
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                string name = stat[(open + 1)..close];
                string[] f = stat[(close + 2)..].Split(' ');
                // fields 14 and 15 of stat (utime, stime), counted from the state field (3) after the name
                double sec = (double.Parse(f[11]) + double.Parse(f[12])) / 100.0;
                byName[name] = byName.GetValueOrDefault(name) + sec;
            }
        }
        catch (DirectoryNotFoundException)
        {
            return "(no /proc)";
        }
        return string.Join(", ", byName.Where(kv => kv.Value >= 0.05).OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:F2}"));
    }

    private static double? Final(MarkerWatch serial) => FinalMarkers.Select(serial.At).FirstOrDefault(t => t is not null);

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
