using System.Text;
using Xenon.Devices.Legacy.Serial;
using Xenon.Domain;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;

namespace Xenon.Machine.Tests.Soft;

/// <summary>The machine-test guests of Xenon.System.Tests (Machine/guests/*.S), assembled by this project's build.</summary>
internal static class SoftGuests
{
    public static byte[] Load(string name)
    {
        using var s = typeof(SoftGuests).Assembly.GetManifestResourceStream($"guests/{name}.bin")
            ?? throw new InvalidOperationException($"guest '{name}' is not embedded");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }
}

/// <summary>
/// The System tests' TestMachine on the soft backend: 1 MiB of RAM, the PC platform devices every domain has, a debug
/// port at 0xf4/0xf5, an MMIO window at 1 MiB, and a 16-bit guest program loaded at 0x1000. Or built from a state.
/// </summary>
internal sealed class SoftTestMachine : IDisposable
{
    public const ulong Origin = 0x1000, RamSize = 0x100000;
    public const ushort DebugPort = 0xf4;
    public const ulong MmioBase = 0x100000;

    private readonly SerialCapture _serial = new();
    private readonly List<string> _log = [];

    private SoftTestMachine(ReadOnlySpan<byte> image, int vcpus, bool boot)
    {
        Memory = GuestMemory.Create([(0UL, RamSize)]);
        Backend = new SoftVmBackend(Memory, vcpus);
        Backend.CreateInterruptControllers();
        Vm = new VirtualMachine(Backend, Memory, vcpus, m => { lock (_log) _log.Add(m); });
        Platform = PcPlatform.Attach(Vm, _serial, m => { lock (_log) _log.Add(m); });
        Vm.Pio.Register(DebugPort, 2, Port);
        Vm.Mmio.Register(MmioBase, 0x1000, Mmio);
        Memory.Write(0, image);
        var supported = Backend.GetSupportedCpuid();
        Vm.CreateVcpus(v =>
        {
            if (!boot || v.Index != 0) return;
            v.SetCpuid(Xenon.Machine.Cpu.CpuidBuilder.Build(supported, 0, Xenon.Machine.Cpu.ApicIds.ForVcpu(0), vcpus));
            v.ResetFpu();
            var s = v.GetSpecialRegisters();
            s.Cs.Base = 0; s.Cs.Selector = 0;
            s.Ds.Base = 0; s.Ds.Selector = 0;
            s.Es.Base = 0; s.Es.Selector = 0;
            s.Ss.Base = 0; s.Ss.Selector = 0;
            v.SetSpecialRegisters(s);
            v.SetRegisters(new X86Registers { Rip = Origin, Rsp = 0x8000, Rflags = 2 });
        });
    }

    public GuestMemory Memory { get; }
    public SoftVmBackend Backend { get; }
    public VirtualMachine Vm { get; }
    public PcPlatform Platform { get; }
    public DebugPortDevice Port { get; } = new();
    public MmioWindowDevice Mmio { get; } = new();
    public SoftVcpuBackend Vcpu0 => (SoftVcpuBackend)Vm.Vcpu(0);

    public static SoftTestMachine Start(string guest, int vcpus = 1)
    {
        var image = new byte[RamSize];
        SoftGuests.Load(guest).CopyTo(image, (int)Origin);
        var m = new SoftTestMachine(image, vcpus, boot: true);
        m.Vm.Start();
        return m;
    }

    public static SoftTestMachine FromState(byte[] image, Xenon.Machine.State.MachineState state)
    {
        var m = new SoftTestMachine(image, state.Vcpus.Count, boot: false);
        m.Vm.StartFromState(state);
        return m;
    }

    public string SerialOutput => _serial.Text;

    public ulong Read64(ulong gpa) => Memory.Read<ulong>(gpa);

    public MachineExit WaitForExit(int seconds = 30)
    {
        if (!Vm.Exited.Wait(TimeSpan.FromSeconds(seconds)))
        {
            var exit = Describe();
            Vm.RequestShutdown(ShutdownReason.PowerOff, "test timeout");
            Assert.Fail($"guest did not stop within {seconds} s. {exit}");
        }
        return Vm.Exited.Result;
    }

    public void WaitUntil(Func<SoftTestMachine, bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition(this))
        {
            if (Vm.Exited.IsCompleted) Assert.Fail($"the machine stopped while waiting for {what}: {Vm.Exited.Result}; {Describe()}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}; {Describe()}");
            Thread.Sleep(5);
        }
    }

    public string Describe()
    {
        string log;
        lock (_log) log = string.Join("\n  ", _log);
        var cpu = Vcpu0.Cpu;
        return $"counter {Read64(0x500)} ticks {Read64(0x508)} boots {Read64(0x510)} rbx {cpu.State.Gpr[3]}; debug port bytes: [{string.Join(' ', Port.Written.Select(b => b.ToString("x2")))}]; serial: \"{SerialOutput}\"; " +
               $"rip=0x{cpu.State.Rip:x} retired={cpu.InstructionsRetired} unimplemented={cpu.LastUnimplemented} " +
               $"internal={cpu.LastInternalError?.Message} if={(cpu.GetRflags() >> 9) & 1} pit-irqs={Backend.PitIrq0Count} " +
               $"pic={DescribePic()} src={cpu.Interrupts?.HasPendingInterrupt} shadow={cpu.State.InterruptShadow} nmiblk={cpu.NmiBlocked}; log:\n  {log}";
    }

    private string DescribePic()
    {
        var p = Backend.GetPlatformState().PicMaster;
        return $"irr 0x{p.Irr:x} isr 0x{p.Isr:x} imr 0x{p.Imr:x} base 0x{p.IrqBase:x} init {p.InitState}";
    }

    public void Dispose()
    {
        Vm.Dispose();
        Platform.Dispose();
    }

    private sealed class SerialCapture : ISerialOutput
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_text) foreach (var b in data) _text.Append((char)b);
        }
    }
}

/// <summary>The debug port: bytes written are recorded; reads return 0x99.</summary>
internal sealed class DebugPortDevice : IPioDevice
{
    private readonly List<byte> _written = [];

    public byte[] Written
    {
        get { lock (_written) return [.. _written]; }
    }

    public void Read(ushort offset, Span<byte> data) => data.Fill(0x99);

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        lock (_written) _written.Add(data[0]);
    }
}

/// <summary>An MMIO window: records writes, answers reads with 0xa0 + offset.</summary>
internal sealed class MmioWindowDevice : IMmioDevice
{
    private readonly List<(ulong Offset, byte[] Data)> _writes = [];

    public IReadOnlyList<(ulong Offset, byte[] Data)> Writes
    {
        get { lock (_writes) return [.. _writes]; }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(0xa0 + offset + (ulong)i);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_writes) _writes.Add((offset, data.ToArray()));
    }
}
