using Xenon.Emulator.Execution;
using Xenon.Machine.Backend;
using Xenon.Machine.Interrupts;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft.Clock;
using Xenon.Machine.Soft.Platform;
using Xenon.Machine.State;

namespace Xenon.Machine.Soft;

/// <summary>
/// The software-CPU implementation of <see cref="IVmBackend"/> (issue 6): vCPUs are <c>Xenon.Emulator</c> CPUs running on
/// the machine's own <see cref="GuestMemory"/>, with the PIC pair and the PIT emulated here (where KVM has them in the
/// kernel), and with a local APIC per vCPU, the IOAPIC and MSI delivery. Needs no /dev/kvm. Dirty logging is the
/// code-page tracker's (<see cref="CodePageTracker.StartDirtyLog"/>): the vCPUs' stores, their page walks' Accessed and
/// Dirty bits, and the devices' writes (<see cref="ObserveDeviceWrites"/>) all reach it.
/// </summary>
public sealed partial class SoftVmBackend : IVmBackend
{
    public const int GsiCount = SoftPlatform.GsiCount;

    private readonly GuestMemory _memory;
    private readonly int _vcpuCount;
    private readonly Lock _gate = new();
    private readonly List<GuestMemoryRegion> _mapped = [];
    private readonly HashSet<int> _logged = [];
    private SoftPlatform? _platform;
    private bool _disposed;

    /// <param name="memory">The machine's guest memory (the same object the machine and its devices use).</param>
    /// <param name="vcpuCount">How many vCPUs the machine will create (CPUID topology).</param>
    public SoftVmBackend(GuestMemory memory, int vcpuCount = 1)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        _memory = memory;
        _vcpuCount = vcpuCount;
    }

    public string Name => "soft";

    /// <summary>All vCPUs share it: a write to a page holding decoded code drops that code everywhere. Devices that write
    /// guest RAM behind the CPUs' backs (DMA) must call <see cref="CodePageTracker.NotifyWrite"/>.</summary>
    public CodePageTracker CodePages { get; } = new();

    // kvmclock, which every vCPU offers (CPUID 0x40000000 "KVMKVMKVM"): the guest's clocksource without a port exit per read.
    internal KvmClock Clock { get; } = new();

    /// <summary>IRQ 0 pulses from the PIT so far (null before <see cref="CreateInterruptControllers"/>).</summary>
    public long? PitIrq0Count => _platform is { } p ? Interlocked.Read(ref p.Pit.Irq0Count) : null;

    public void MapMemory(GuestMemoryRegion region, bool logDirty)
    {
        // The vCPUs reach RAM through GuestMemory itself; a region not in it could not be reached.
        if (!_memory.Regions.Contains(region)) throw new ArgumentException("the soft backend maps only regions of its GuestMemory", nameof(region));
        lock (_gate)
        {
            // Called again for a mapped region (KVM's flags-only update) to turn its dirty log on or off.
            if (!_mapped.Contains(region)) _mapped.Add(region);
            ulong first = region.GuestAddress / 4096, pages = region.Size / 4096;
            if (logDirty && _logged.Add(region.Slot)) CodePages.StartDirtyLog(first, pages, HighestRamPage());
            else if (!logDirty && _logged.Remove(region.Slot)) CodePages.StopDirtyLog(first, pages);
        }
    }

    private ulong HighestRamPage()
    {
        ulong end = 0;
        foreach (var r in _memory.Regions) end = Math.Max(end, (r.GuestAddress + r.Size + 4095) / 4096);
        return end;
    }

    public void CreateInterruptControllers()
    {
        lock (_gate)
        {
            if (_platform is not null) throw new InvalidOperationException("interrupt controllers already created");
            _platform = new SoftPlatform();
        }
    }

    /// <summary>Delivers MSIs to the local APICs (any thread). Valid after <see cref="CreateInterruptControllers"/>.</summary>
    public IMsiController Msi => Platform("Msi").Msi;

    /// <summary>MSIs delivered and dropped so far (diagnostics; null before <see cref="CreateInterruptControllers"/>).</summary>
    public (long Delivered, long Dropped)? MsiCounts => _platform is { } p ? (p.Msi.DeliveredCount, p.Msi.DroppedCount) : null;

    public IIrqLine GetIrqLine(int gsi)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gsi);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(gsi, GsiCount);
        return Platform("GetIrqLine").Line(gsi);
    }

    public IReadOnlyList<CpuidEntry> GetSupportedCpuid() =>
        SoftCpuid.Supported(SoftCpuid.Model(0, _vcpuCount));

    public IVcpuBackend CreateVcpu(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        SoftPlatform? platform;
        lock (_gate) platform = _platform;
        return new SoftVcpuBackend(index, _memory, CodePages, platform, Math.Max(_vcpuCount, index + 1), Clock);
    }

    /// <summary>The pages written since logging started or the last call (KVM_GET_DIRTY_LOG's meaning). A region
    /// that is not being logged is an error, as with KVM.</summary>
    public void GetAndClearDirtyLog(GuestMemoryRegion region, Span<ulong> bitmap)
    {
        ArgumentNullException.ThrowIfNull(region);
        lock (_gate)
        {
            if (!_logged.Contains(region.Slot))
                throw new InvalidOperationException($"dirty log of memory slot {region.Slot}: the region is not mapped with logDirty");
        }
        CodePages.GetAndClearDirtyLog(region.GuestAddress / 4096, region.Size / 4096, bitmap);
    }

    /// <summary>The platform devices, and kvmclock's current value in <see cref="PlatformState.ClockNs"/> (KVM_GET_CLOCK's).</summary>
    public PlatformState GetPlatformState()
    {
        var state = SoftPlatformStateTransfer.Capture(Platform("GetPlatformState"));
        state.ClockNs = (ulong)Math.Max(0, Clock.NowNs);
        return state;
    }

    /// <summary>Restores the devices, and kvmclock continues from <see cref="PlatformState.ClockNs"/> (0, from a state that
    /// carried no clock, leaves it running as it is). Every vCPU's pvclock page is republished.</summary>
    public void SetPlatformState(PlatformState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        SoftPlatformStateTransfer.Restore(Platform("SetPlatformState"), state);
        if (state.ClockNs is not 0 and <= long.MaxValue) Clock.Set((long)state.ClockNs);
    }

    private SoftPlatform Platform(string what)
    {
        lock (_gate)
            return _platform ?? throw new InvalidOperationException($"{what} needs the interrupt controllers (CreateInterruptControllers)");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _platform?.Dispose();
        }
    }
}
