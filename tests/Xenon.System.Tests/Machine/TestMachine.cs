using System.Text;
using Xenon.Devices.Legacy.Serial;
using Xenon.Domain;
using Xenon.Machine;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Memory;

namespace Xenon.System.Tests.Machine;

/// <summary>
/// A machine-test VM: 1 MiB of RAM, the PC platform devices every domain has, a debug port at
/// 0xf4/0xf5 and an MMIO window at 1 MiB, and a 16-bit real-mode guest program (Machine/guests/*.S) loaded at 0x1000.
/// </summary>
internal sealed class TestMachine : IDisposable
{
    public const ulong Origin = 0x1000;
    public const ushort DebugPort = 0xf4;
    public const ulong MmioBase = 0x100000;

    private readonly SerialCapture _serial = new();
    private readonly List<string> _log = [];

    public VirtualMachine Vm { get; }
    public PcPlatform Platform { get; }
    public TestPort Port { get; } = new();
    public TestMmio Mmio { get; } = new();

    private TestMachine(string guest, int vcpus, bool logDirtyPages)
    {
        var code = TinyGuests.Load(guest);
        var memory = GuestMemory.Create([(0UL, MmioBase)]);
        var backend = new KvmVmBackend();
        backend.CreateInterruptControllers();
        Vm = new VirtualMachine(backend, memory, vcpus, m => { lock (_log) _log.Add(m); }, logDirtyPages);
        Platform = PcPlatform.Attach(Vm, _serial, m => { lock (_log) _log.Add(m); });
        Vm.Pio.Register(DebugPort, 2, Port);
        Vm.Mmio.Register(MmioBase, 0x1000, Mmio);
        memory.Write(Origin, code);
        Vm.CreateVcpus(v =>
        {
            if (v.Index != 0) return;
            var s = v.GetSpecialRegisters();
            s.Cs.Base = 0; s.Cs.Selector = 0;
            s.Ds.Base = 0; s.Ds.Selector = 0;
            s.Es.Base = 0; s.Es.Selector = 0;
            s.Ss.Base = 0; s.Ss.Selector = 0;
            v.SetSpecialRegisters(s);
            var r = v.GetRegisters();
            r.Rip = Origin;
            r.Rsp = 0x8000;
            r.Rflags = 2;
            v.SetRegisters(r);
        });
    }

    /// <summary>Boots the guest program Machine/guests/NAME.S.</summary>
    public static TestMachine Start(string guest, int vcpus = 1, bool logDirtyPages = false)
    {
        var m = new TestMachine(guest, vcpus, logDirtyPages);
        m.Vm.Start();
        return m;
    }

    public string SerialOutput => _serial.Text;

    /// <summary>Waits for the machine to stop; fails with the serial output, debug-port bytes and log if it does not.</summary>
    public MachineExit WaitForExit(int seconds = 60)
    {
        if (!Vm.Exited.Wait(TimeSpan.FromSeconds(seconds)))
        {
            var exit = Describe();
            Vm.RequestShutdown(ShutdownReason.PowerOff, "test timeout");
            Assert.Fail($"guest did not stop within {seconds} s. {exit}");
        }
        return Vm.Exited.Result;
    }

    public string Describe()
    {
        string log;
        lock (_log) log = string.Join("\n  ", _log);
        return $"debug port bytes: [{string.Join(' ', Port.Written.Select(b => b.ToString("x2")))}]; serial: \"{SerialOutput}\"; log:\n  {log}";
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
