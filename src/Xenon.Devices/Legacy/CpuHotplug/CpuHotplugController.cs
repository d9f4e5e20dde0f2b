using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine.Acpi;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.CpuHotplug;

/// <summary>
/// ACPI processor hotplug's register block (<see cref="CpuHotplugRegisters"/>, read by the DSDT's methods in
/// <c>CpuHotplugAml</c>): which of the machine's possible vCPUs are present, and the insert/remove events the guest
/// has yet to handle. The toolstack's <see cref="SetOnline"/> (xl vcpu-set) marks CPUs and raises the hotplug GPE;
/// the guest's scan Notify()s each changed CPU, brings added ones up with INIT/SIPI and, for removed ones, offlines
/// them and writes Eject from _EJ0. Every vCPU exists from the start; one that is not present waits for its start-up
/// IPI (or, ejected, sits halted with interrupts off where the guest's CPU offlining left it), so presence here is
/// the whole of "online".
/// </summary>
/// <remarks>Guest writes are taken byte by byte at any width; a selector past the last CPU reads as absent and
/// ignores commands, the boot CPU cannot be ejected, and command bits for events that are not pending do nothing.</remarks>
public sealed class CpuHotplugController : IPioDevice, IStatefulDevice
{
    private readonly Lock _lock = new();
    private readonly GpeBlock _gpe;
    private readonly Action<string>? _log;
    private readonly bool[] _present;
    private readonly bool[] _insertPending;
    private readonly bool[] _removePending;
    private uint _selector;

    /// <param name="maxVcpus">Possible vCPUs (maxvcpus).</param>
    /// <param name="onlineVcpus">vCPUs present at boot (vcpus): 0 … onlineVcpus-1, as the MADT enables them.</param>
    public CpuHotplugController(int maxVcpus, int onlineVcpus, GpeBlock gpe, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVcpus, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(onlineVcpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(onlineVcpus, maxVcpus);
        ArgumentNullException.ThrowIfNull(gpe);
        _gpe = gpe;
        _log = log;
        _present = new bool[maxVcpus];
        _insertPending = new bool[maxVcpus];
        _removePending = new bool[maxVcpus];
        for (int i = 0; i < onlineVcpus; i++) _present[i] = true;
    }

    public int MaxVcpus => _present.Length;

    /// <summary>Raised (outside the lock) when the guest ejects a vCPU, with its index.</summary>
    public event Action<int>? Ejected;

    public void Register(PioBus bus) => bus.Register(AcpiPorts.CpuHotplugBlock, AcpiPorts.CpuHotplugBlockLength, this);

    /// <summary>The present vCPUs, in order (what vcpu-list shows online and xl list counts).</summary>
    public int[] OnlineVcpus()
    {
        lock (_lock)
        {
            var list = new List<int>(_present.Length);
            for (int i = 0; i < _present.Length; i++)
                if (_present[i]) list.Add(i);
            return [.. list];
        }
    }

    /// <summary>True while the guest has not yet been told about, or not yet acted on, a change for vCPU <paramref name="index"/>.</summary>
    public bool IsPending(int index)
    {
        lock (_lock) return _insertPending[index] || _removePending[index];
    }

    /// <summary>xl vcpu-set: vCPUs 0 … <paramref name="count"/>-1 should be online and the rest offline. Adds are
    /// made present at once (the guest then brings them up); removals are requested and take effect when the guest
    /// ejects the CPU. Returns null, or why the count is refused (nothing changes then).</summary>
    public string? SetOnline(int count)
    {
        if (count < 1 || count > _present.Length)
            return $"the number of vCPUs must be between 1 and maxvcpus ({_present.Length}), not {count}";
        bool raise = false;
        lock (_lock)
        {
            for (int i = 0; i < _present.Length; i++)
            {
                if (i < count)
                {
                    if (_removePending[i])
                    {
                        // Not yet told to the guest: the removal is withdrawn.
                        _removePending[i] = false;
                    }
                    else if (!_present[i])
                    {
                        _present[i] = true;
                        _insertPending[i] = true;
                        raise = true;
                    }
                }
                else if (_present[i])
                {
                    if (_insertPending[i])
                    {
                        // The guest never saw this CPU arrive: it leaves as quietly.
                        _insertPending[i] = false;
                        _present[i] = false;
                    }
                    else if (!_removePending[i])
                    {
                        _removePending[i] = true;
                        raise = true;
                    }
                }
            }
        }
        if (raise) _gpe.Raise(AcpiPorts.CpuHotplugGpe);
        return null;
    }

    public void Read(ushort offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                int at = offset + i;
                data[i] = at switch
                {
                    >= CpuHotplugRegisters.SelectorOffset and < CpuHotplugRegisters.SelectorOffset + 4 =>
                        (byte)(_selector >> (8 * (at - CpuHotplugRegisters.SelectorOffset))),
                    CpuHotplugRegisters.StatusOffset => StatusLocked(),
                    _ => 0,
                };
            }
        }
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        int ejected = -1;
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                int at = offset + i;
                if (at is >= CpuHotplugRegisters.SelectorOffset and < CpuHotplugRegisters.SelectorOffset + 4)
                {
                    int shift = 8 * (at - CpuHotplugRegisters.SelectorOffset);
                    _selector = (_selector & ~(0xffu << shift)) | ((uint)data[i] << shift);
                }
                else if (at == CpuHotplugRegisters.StatusOffset && CommandLocked(data[i]))
                {
                    ejected = (int)_selector;
                }
            }
        }
        if (ejected >= 0)
        {
            _log?.Invoke($"cpu-hotplug: the guest ejected vCPU {ejected}");
            Ejected?.Invoke(ejected);
        }
    }

    /// <summary>The id of the saved state (which also carries the GPE0 registers).</summary>
    public string StateId { get; init; } = CpuHotplugStateCodec.Kind;

    public int SaveState(IBufferWriter<byte> output) => CpuHotplugStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(CpuHotplugStateCodec.Kind, CpuHotplugStateCodec.Read(state), SetState);

    public CpuHotplugState GetState()
    {
        lock (_lock)
        {
            var cpus = new byte[_present.Length];
            for (int i = 0; i < cpus.Length; i++)
            {
                cpus[i] = (byte)((_present[i] ? CpuHotplugRegisters.Enabled : 0)
                                 | (_insertPending[i] ? CpuHotplugRegisters.InsertPending : 0)
                                 | (_removePending[i] ? CpuHotplugRegisters.RemovePending : 0));
            }
            return new CpuHotplugState(_gpe.Status, _gpe.Enable, _selector, cpus);
        }
    }

    /// <summary>Applies a saved state; it must describe as many vCPUs as this machine has.</summary>
    public void SetState(CpuHotplugState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.CpuStatus.Length != _present.Length)
            throw new ArgumentException($"the saved state has {state.CpuStatus.Length} vCPUs, this domain {_present.Length}", nameof(state));
        lock (_lock)
        {
            _selector = state.Selector;
            for (int i = 0; i < _present.Length; i++)
            {
                byte b = state.CpuStatus[i];
                _present[i] = (b & CpuHotplugRegisters.Enabled) != 0 || i == 0;
                _insertPending[i] = (b & CpuHotplugRegisters.InsertPending) != 0;
                _removePending[i] = (b & CpuHotplugRegisters.RemovePending) != 0;
            }
        }
        _gpe.SetState(state.GpeStatus, state.GpeEnable);
    }

    private byte StatusLocked()
    {
        if (_selector >= (uint)_present.Length) return 0;
        int s = (int)_selector;
        return (byte)((_present[s] ? CpuHotplugRegisters.Enabled : 0)
                      | (_insertPending[s] ? CpuHotplugRegisters.InsertPending : 0)
                      | (_removePending[s] ? CpuHotplugRegisters.RemovePending : 0));
    }

    // True when the command ejected the selected CPU.
    private bool CommandLocked(byte command)
    {
        if (_selector >= (uint)_present.Length) return false;
        int s = (int)_selector;
        if ((command & CpuHotplugRegisters.InsertPending) != 0) _insertPending[s] = false;
        if ((command & CpuHotplugRegisters.RemovePending) != 0) _removePending[s] = false;
        if ((command & CpuHotplugRegisters.Eject) == 0 || s == 0 || !_present[s]) return false;
        _present[s] = false;
        _insertPending[s] = false;
        _removePending[s] = false;
        return true;
    }
}
