using System.Buffers;
using System.Buffers.Binary;
using Xenon.Devices.State;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci;

/// <summary>
/// Bus 0 of segment 0: up to 32 single-function devices, the host bridge at 00:00.0. Both
/// configuration mechanisms (<see cref="PciConfigIoPorts"/>, <see cref="PciEcam"/>) end here, so they
/// always agree. After a write to a function's command register or BARs, the BARs' handlers are
/// moved on the buses to where the guest put them (unmapped while decoding is off or the place is invalid).
/// </summary>
public sealed class PciRoot : IStatefulDevice
{
    private const int MaxLoggedRefusals = 16;

    private readonly object _lock = new();
    private readonly Slot?[] _slots = new Slot?[PciAddress.MaxDevices];
    private readonly MmioBus _mmio;
    private readonly PciIoWindow? _io;
    private readonly Action<string>? _log;
    private readonly List<(PciAddress Address, int Offset, uint Value)> _firmwareWrites = [];
    private int _refusalsLogged;

    private sealed record Slot(IPciDevice Device, PciBarMapping[] Mappings);

    public PciRoot(MmioBus mmio, PciIoWindow? io = null, PciWindows? windows = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(mmio);
        _mmio = mmio;
        _io = io;
        _log = log;
        Windows = windows ?? PciWindows.Default;
        HostBridge = new PciHostBridge();
        Attach(HostBridge, 0);
    }

    public PciWindows Windows { get; }

    /// <summary>Raised after a BAR is mapped at a new address (the address) or unmapped (null), with the root's lock held:
    /// the machine moves what it keeps at BAR addresses (ioeventfd doorbells). Handlers must not call back into the root.</summary>
    public event Action<IPciDevice, int, ulong?>? BarMoved;

    public PciHostBridge HostBridge { get; }

    /// <summary>Places <paramref name="device"/> in the lowest free slot and returns its address.</summary>
    public PciAddress Attach(IPciDevice device)
    {
        lock (_lock)
        {
            for (int slot = 0; slot < _slots.Length; slot++)
                if (_slots[slot] is null) return Attach(device, slot);
        }
        throw new InvalidOperationException("PCI bus 0 is full (32 devices)");
    }

    public PciAddress Attach(IPciDevice device, int slot)
    {
        ArgumentNullException.ThrowIfNull(device);
        if ((uint)slot >= PciAddress.MaxDevices) throw new ArgumentOutOfRangeException(nameof(slot), slot, "PCI slot is 0–31");
        lock (_lock)
        {
            if (_slots[slot] is { } taken)
                throw new InvalidOperationException($"PCI slot {slot} already holds {taken.Device.Name}");
            var mappings = new PciBarMapping[device.Bars.Count];
            for (int i = 0; i < mappings.Length; i++) mappings[i] = new PciBarMapping(device.Bars[i]);
            var s = new Slot(device, mappings);
            _slots[slot] = s;
            UpdateMappings(s);
        }
        return new PciAddress(0, (byte)slot, 0);
    }

    public IPciDevice? DeviceAt(PciAddress address)
    {
        lock (_lock) return Find(address)?.Device;
    }

    public IReadOnlyList<(PciAddress Address, IPciDevice Device)> Devices
    {
        get
        {
            var list = new List<(PciAddress, IPciDevice)>();
            lock (_lock)
            {
                for (int i = 0; i < _slots.Length; i++)
                    if (_slots[i] is { } s) list.Add((new PciAddress(0, (byte)i, 0), s.Device));
            }
            return list;
        }
    }

    /// <summary>Where BAR <paramref name="barIndex"/> of the function is mapped now, or null.</summary>
    public ulong? MappedAddress(PciAddress address, int barIndex)
    {
        lock (_lock)
        {
            if (Find(address) is not { } s) return null;
            foreach (var m in s.Mappings)
                if (m.Bar.Index == barIndex) return m.IsMapped ? m.Address : null;
            return null;
        }
    }

    /// <summary>A configuration read; absent functions read as all-ones.</summary>
    public void ReadConfig(PciAddress address, int offset, Span<byte> data)
    {
        lock (_lock)
        {
            if (Find(address) is { } s) s.Device.ReadConfig(offset, data);
            else data.Fill(0xff);
        }
    }

    /// <summary>A configuration write; absent functions ignore it.</summary>
    public void WriteConfig(PciAddress address, int offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (Find(address) is not { } s) return;
            s.Device.WriteConfig(offset, data);
            if (Touches(offset, data.Length, PciConfigOffsets.Command, 2) ||
                Touches(offset, data.Length, PciConfigOffsets.Bar0, PciConfigOffsets.BarEnd - PciConfigOffsets.Bar0))
                UpdateMappings(s);
        }
    }

    /// <summary>Build time, in the firmware's place: writes a dword and remembers it, so <see cref="Reset"/> can replay it.</summary>
    public void ProgramFirmware(PciAddress address, int offset, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        lock (_lock)
        {
            WriteConfig(address, offset, bytes);
            _firmwareWrites.Add((address, offset, value));
        }
    }

    /// <summary>Platform reset: every function resets, BARs unmap, then the firmware's programming is replayed
    /// (there is no firmware to redo it when the kernel is booted directly).</summary>
    public void Reset()
    {
        Span<byte> bytes = stackalloc byte[4];
        lock (_lock)
        {
            foreach (var s in _slots)
            {
                if (s is null) continue;
                s.Device.Reset();
                UpdateMappings(s);
            }
            foreach (var (address, offset, value) in _firmwareWrites)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
                WriteConfig(address, offset, bytes);
            }
        }
    }

    /// <summary>After configuration spaces were restored from saved state: moves every BAR to where its registers say.</summary>
    public void RefreshMappings()
    {
        lock (_lock)
        {
            foreach (var s in _slots)
                if (s is not null) UpdateMappings(s);
        }
    }

    /// <summary>The id of the slot map's saved state. Add the root to a <see cref="DeviceStateSet"/> after its functions.</summary>
    public string StateId { get; init; } = "pci-root";

    public int SaveState(IBufferWriter<byte> output) => PciRootStateCodec.Write(output, SlotMap());

    /// <summary>Checks the saved slot map against this root's: same slots, same vendor, device and class in each.</summary>
    public void RestoreState(ReadOnlySpan<byte> state)
    {
        var saved = PciRootStateCodec.Read(state);
        var here = SlotMap();
        if (saved.Length != here.Count)
            throw new DeviceStateException($"{PciRootStateCodec.Kind} state: the saved domain had {saved.Length} PCI functions, this one has {here.Count}");
        for (int i = 0; i < saved.Length; i++)
        {
            if (saved[i] != here[i])
                throw new DeviceStateException(
                    $"{PciRootStateCodec.Kind} state: saved slot {saved[i].Slot} held {Describe(saved[i])}, here slot {here[i].Slot} holds {Describe(here[i])}");
        }
    }

    /// <summary>Every function has its configuration space back: map each BAR where it says.</summary>
    public void RestoreCompleted() => RefreshMappings();

    private List<PciRootStateCodec.SlotEntry> SlotMap()
    {
        var map = new List<PciRootStateCodec.SlotEntry>();
        lock (_lock)
        {
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] is not { } s) continue;
                var id = s.Device.Config.Identity;
                map.Add(new((byte)i, id.VendorId, id.DeviceId, id.ClassCode));
            }
        }
        return map;
    }

    private static string Describe(PciRootStateCodec.SlotEntry e) => $"{e.VendorId:x4}:{e.DeviceId:x4} class {e.ClassCode:x6}";

    private Slot? Find(PciAddress address) =>
        address.Bus == 0 && address.Function == 0 && address.Device < PciAddress.MaxDevices ? _slots[address.Device] : null;

    private static bool Touches(int offset, int length, int field, int fieldLength) =>
        offset < field + fieldLength && field < offset + length;

    private void UpdateMappings(Slot s)
    {
        var config = s.Device.Config;
        ushort command = config.Command;
        foreach (var m in s.Mappings)
        {
            var bar = m.Bar;
            bool decoding = (command & (bar.IsMemory ? PciCommand.MemorySpace : PciCommand.IoSpace)) != 0;
            ulong address = config.BarAddress(bar.Index);
            bool wanted = decoding && IsValidPlacement(bar, address);
            bool wasMapped = m.IsMapped;
            ulong oldAddress = m.Address;
            if (m.IsMapped && (!wanted || m.Address != address)) m.Unmap(_mmio, _io);
            if (wanted && !m.IsMapped && !m.TryMap(address, _mmio, _io) && _refusalsLogged < MaxLoggedRefusals)
            {
                _refusalsLogged++;
                _log?.Invoke($"pci: {s.Device.Name} BAR{bar.Index} at 0x{address:x} (+0x{bar.Size:x}) overlaps another device; left unmapped");
            }
            if (m.IsMapped != wasMapped || m.Address != oldAddress)
                BarMoved?.Invoke(s.Device, bar.Index, m.IsMapped ? m.Address : null);
        }
    }

    private bool IsValidPlacement(PciBar bar, ulong address)
    {
        if (address == 0) return false;
        if (bar.IsMemory) return Windows.ContainsMmio(address, bar.Size, bar.Kind == PciBarKind.Memory64);
        return _io is not null && Windows.ContainsIo(address, bar.Size)
            && address >= _io.Start && address + bar.Size <= _io.End;
    }
}
