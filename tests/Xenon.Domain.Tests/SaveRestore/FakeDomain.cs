using System.Buffers;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>A domain without KVM for the save/restore orchestration: real guest memory and a real UART, fake vCPUs that
/// record what was done to them, and any step made to fail.</summary>
internal sealed class FakeDomain : ISaveSource, IRestoreTarget, IDisposable
{
    public const string ConfigJsonText = """{"name":"guest-1","memory_mib":1,"kernel":"/nonexistent"}""";

    public FakeDomain(int vcpus = 2, GuestMemory? memory = null)
    {
        Memory = memory ?? GuestMemory.Create([(0, 0x10000), (0x100000, 0x10000)]);
        VcpuCount = vcpus;
        Serial = new Serial16550(new NullIrq(), new NullSerial());
        DeviceStates = new DeviceStateSet().Add(Serial).Add(Extra);
    }

    public List<string> Events { get; } = [];

    /// <summary>The step that throws: pause, quiesce, capture, or device (the extra device's SaveState).</summary>
    public string? FailAt { get; set; }

    public bool VcpusPaused { get; set; }

    public Serial16550 Serial { get; }

    public ExtraDevice Extra { get; } = new();

    public MachineState? StartedWith { get; private set; }

    public SaveHeader Header => new("guest-1", Guid.Parse("6f1d1c3e-8b9a-4a57-9c1e-2d3b4c5d6e7f"));
    public string ConfigJson => ConfigJsonText;
    public GuestMemory Memory { get; }
    public int VcpuCount { get; }
    public DeviceStateSet DeviceStates { get; }

    public void PauseVcpus() => Step("pause");

    public void ResumeVcpus()
    {
        ResumedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        Events.Add("resume vcpus");
    }

    /// <summary>When <see cref="ResumeVcpus"/> was last called (a Stopwatch timestamp), 0 if never.</summary>
    public long ResumedAt { get; private set; }

    /// <summary>Every <see cref="SpinParkedVcpus"/> request, with how many data pages the memory held then (not in
    /// <see cref="Events"/>, whose exact order other tests check).</summary>
    public List<(TimeSpan Time, int PagesWithData)> SpinRequests { get; } = [];

    public void SpinParkedVcpus(TimeSpan time)
    {
        int pages = 0;
        foreach (var region in Memory.Regions)
            for (ulong at = 0; at < region.Size; at += 4096)
                if (Memory.GetSpan(region.GuestAddress + at, 4096).IndexOfAnyExcept((byte)0) >= 0) pages++;
        SpinRequests.Add((time, pages));
    }

    public void QuiesceDevices() => Step("quiesce");

    public void ResumeDevices() => Events.Add("resume devices");

    /// <summary>The MSRs every captured vCPU carries (none by default).</summary>
    public MsrEntry[] VcpuMsrs { get; set; } = new MsrEntry[0];

    public MachineState CaptureMachineState()
    {
        Step("capture");
        var vcpus = new VcpuState[VcpuCount];
        for (int i = 0; i < vcpus.Length; i++)
            vcpus[i] = new VcpuState { Registers = new Xenon.Machine.Backend.X86Registers { Rip = 0x1000UL + (ulong)i, Rax = 42 }, TscKhz = 1000, Msrs = VcpuMsrs };
        return new MachineState(vcpus, new PlatformState { ClockNs = 123_456_789 });
    }

    /// <summary>Set (once) by <see cref="Crash"/>, from the image verifier's thread.</summary>
    public string? Crashed => _crashed.Task.IsCompleted ? _crashed.Task.Result : null;

    private readonly TaskCompletionSource<string> _crashed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Crash(string reason) => _crashed.TrySetResult(reason);

    /// <summary>Waits for <see cref="Crash"/>; null if it did not come within <paramref name="timeout"/>.</summary>
    public string? WaitForCrash(TimeSpan timeout) => _crashed.Task.Wait(timeout) ? _crashed.Task.Result : null;

    public void StartParked() => Events.Add("threads parked");

    /// <summary>Whether <see cref="CaptureParkedState"/> answers (as a real domain started parked does), so the
    /// migration receiver warms up on this domain.</summary>
    public bool CanCaptureParked { get; set; }

    public MachineState? CaptureParkedState()
    {
        if (!CanCaptureParked) return null;
        Events.Add("capture parked");
        var vcpus = new VcpuState[VcpuCount];
        for (int i = 0; i < vcpus.Length; i++) vcpus[i] = new VcpuState { Registers = new Xenon.Machine.Backend.X86Registers { Rip = 0xfff0 } };
        return new MachineState(vcpus, new PlatformState());
    }

    public void StartFromState(MachineState state)
    {
        Events.Add("start parked");
        StartedWith = state;
    }

    private void Step(string name)
    {
        Events.Add(name);
        if (FailAt == name) throw new InvalidOperationException($"{name} failed on purpose");
        if (name == "quiesce") Extra.Fail = FailAt == "device";
    }

    public void Dispose() => Memory.Dispose();

    /// <summary>A stateful device that records its restore, and can refuse to save.</summary>
    public sealed class ExtraDevice : IStatefulDevice
    {
        public bool Fail { get; set; }

        /// <summary>Refuse every restore (a state this build cannot take).</summary>
        public bool FailRestore { get; set; }

        public byte[]? Restored { get; private set; }
        public int Restores { get; private set; }
        public bool Completed { get; private set; }
        public string StateId => "extra";

        public int SaveState(IBufferWriter<byte> output)
        {
            if (Fail) throw new IOException("extra device failed on purpose");
            output.Write("extra-state"u8);
            return 11;
        }

        public void RestoreState(ReadOnlySpan<byte> state)
        {
            if (FailRestore) throw new DeviceStateException("extra device refuses its state on purpose");
            Restored = state.ToArray();
            Restores++;
            // A step of its own, as the virtio-pci transport names its steps: it shows in a restore profile.
            RestoreProfile.Mark("extra step");
        }

        public void RestoreCompleted() => Completed = true;
    }

    private sealed class NullIrq : IIrqLine
    {
        public int Gsi => 4;

        public void SetLevel(bool high)
        {
        }
    }

    private sealed class NullSerial : ISerialOutput
    {
        public void Write(ReadOnlySpan<byte> data)
        {
        }
    }
}
