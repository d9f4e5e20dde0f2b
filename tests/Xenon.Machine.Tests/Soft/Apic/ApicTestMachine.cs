using Iced.Intel;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>
/// A soft-backend machine for the APIC tests: 2 MiB of RAM, the boot vCPU already in flat 32-bit protected mode at
/// <see cref="Start"/> (GDT at 0x1000, IDT at 0x2000 with its gates filled by <see cref="Handler"/>), application
/// processors waiting for INIT/SIPI. Guest code is assembled with Iced at fixed addresses. Port 0xF4 records bytes.
/// </summary>
internal sealed class ApicTestMachine : IDisposable
{
    public const ulong RamSize = 0x200000, Gdt = 0x1000, Idt = 0x2000, Start = 0x10000, StackTop = 0x9F000;
    public const ulong Counter = 0x500;
    public const uint Lapic = 0xFEE0_0000, IoApicBase = 0xFEC0_0000;
    public const ushort CodeSelector = 0x08, DataSelector = 0x10;

    private readonly List<string> _log = [];

    private ApicTestMachine(int vcpus, byte[]? image)
    {
        Memory = GuestMemory.Create([(0UL, RamSize)]);
        Backend = new SoftVmBackend(Memory, vcpus);
        Backend.CreateInterruptControllers();
        Vm = new VirtualMachine(Backend, Memory, vcpus, m => { lock (_log) _log.Add(m); });
        Vm.Pio.Register(0xF4, 1, Port);
        if (image is not null) Memory.Write(0, image);
        else
        {
            Memory.Write(Gdt + 8, 0x00CF9A000000FFFFUL);
            Memory.Write(Gdt + 16, 0x00CF92000000FFFFUL);
        }
    }

    public GuestMemory Memory { get; }
    public SoftVmBackend Backend { get; }
    public VirtualMachine Vm { get; }
    public RecordingPort Port { get; } = new();

    public SoftVcpuBackend Vcpu(int i) => (SoftVcpuBackend)Vm.Vcpu(i);

    /// <summary>Builds the machine; <paramref name="program"/> places code and handlers before the vCPUs start.</summary>
    public static ApicTestMachine Create(int vcpus, Action<ApicTestMachine> program)
    {
        var m = new ApicTestMachine(vcpus, null);
        program(m);
        var supported = m.Backend.GetSupportedCpuid();
        m.Vm.CreateVcpus(v =>
        {
            v.SetCpuid(Xenon.Machine.Cpu.CpuidBuilder.Build(supported, v.Index, Xenon.Machine.Cpu.ApicIds.ForVcpu(v.Index), vcpus));
            v.ResetFpu();
            if (v.Index != 0) return;
            var s = v.GetSpecialRegisters();
            var code = new X86Segment { Base = 0, Limit = 0xFFFF_FFFF, Selector = CodeSelector, Type = 0xB, Present = true, DefaultBig = true, Granularity = true };
            var data = code with { Selector = DataSelector, Type = 0x3 };
            (s.Cs, s.Ds, s.Es, s.Ss, s.Fs, s.Gs) = (code, data, data, data, data, data);
            s.Gdt = new X86DescriptorTable { Base = Gdt, Limit = 23 };
            s.Idt = new X86DescriptorTable { Base = Idt, Limit = 0x7FF };
            s.Cr0 = 0x11;
            v.SetSpecialRegisters(s);
            v.SetRegisters(new X86Registers { Rip = Start, Rsp = StackTop, Rflags = 2 });
        });
        m.Vm.Start();
        return m;
    }

    /// <summary>A machine built from a captured state and memory image, running.</summary>
    public static ApicTestMachine FromState(byte[] image, MachineState state)
    {
        var m = new ApicTestMachine(state.Vcpus.Count, image);
        m.Vm.CreateVcpus(_ => { });
        m.Vm.StartFromState(state);
        return m;
    }

    /// <summary>Assembles <paramref name="code"/> for <paramref name="bitness"/>-bit mode at <paramref name="address"/>.</summary>
    public void Code(ulong address, Action<Assembler> code, int bitness = 32)
    {
        var a = new Assembler(bitness);
        code(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        Memory.Write(address, stream.ToArray());
    }

    /// <summary>Code at <paramref name="address"/> that handles <paramref name="vector"/> (a 32-bit interrupt gate).</summary>
    public void Handler(int vector, ulong address, Action<Assembler> code)
    {
        Code(address, code);
        ulong gate = (address & 0xFFFF) | ((ulong)CodeSelector << 16) | (0x8EUL << 40) | ((address >> 16) << 48);
        Memory.Write(Idt + (ulong)vector * 8, gate);
    }

    public uint Read32(ulong gpa) => Memory.Read<uint>(gpa);

    public void WaitUntil(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            if (Vm.Exited.IsCompleted) Assert.Fail($"the machine stopped while waiting for {what}: {Vm.Exited.Result}; {Describe()}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}; {Describe()}");
            Thread.Sleep(2);
        }
    }

    public string Describe()
    {
        string log;
        lock (_log) log = string.Join("; ", _log);
        var parts = new List<string>();
        for (int i = 0; i < Vm.VcpuCount; i++)
        {
            var c = Vcpu(i);
            parts.Add($"vcpu{i} {c.RunState} rip=0x{c.Cpu.State.Rip:x} halted={c.Cpu.State.Halted} retired={c.InstructionsRetired} " +
                      $"ud={c.Cpu.LastUnimplemented} internal={c.Cpu.LastInternalError?.Message}");
        }
        return $"counter {Read32(Counter)}; {string.Join("; ", parts)}; port [{string.Join(' ', Port.Written)}]; log: {log}";
    }

    public void Dispose()
    {
        Vm.RequestShutdown(ShutdownReason.PowerOff, "test done");
        Vm.Exited.Wait(TimeSpan.FromSeconds(5));
        Vm.Dispose(); // and with it the backend and the memory
    }
}

/// <summary>Port 0xF4: records the bytes written, and runs <see cref="OnWrite"/> (on the vCPU thread).</summary>
internal sealed class RecordingPort : IPioDevice
{
    private readonly List<byte> _written = [];
    public Action<byte>? OnWrite { get; set; }

    public byte[] Written
    {
        get { lock (_written) return [.. _written]; }
    }

    public void Read(ushort offset, Span<byte> data) => data.Fill(0xFF);

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        lock (_written) _written.Add(data[0]);
        OnWrite?.Invoke(data[0]);
    }
}
