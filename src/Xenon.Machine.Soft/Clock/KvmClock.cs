using System.Diagnostics;
using Xenon.Machine.Cpu;

namespace Xenon.Machine.Soft.Clock;

/// <summary>
/// The machine's kvmclock: nanoseconds on the host's monotonic clock plus an offset that a state restore moves (what
/// KVM_GET_CLOCK/KVM_SET_CLOCK carry). Every vCPU's pvclock page is derived from it, so all vCPUs read the same time and the
/// pages can carry PVCLOCK_TSC_STABLE_BIT. The guest TSC is the host's Stopwatch clock (nanoseconds on Linux), so the
/// published scale is exact and a page never needs updating while the guest runs: only when the TSC or the clock is reset.
/// Thread-safe.
/// </summary>
internal sealed class KvmClock
{
    public const uint MsrWallClockNew = KvmClockMsrs.WallClockNew, MsrSystemTimeNew = KvmClockMsrs.SystemTimeNew;

    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly Lock _gate = new();
    private readonly List<PvClockMsrs> _vcpus = [];
    private long _nsAtOrigin;

    public KvmClock()
    {
        (Mul, Shift) = ScaleFor(Stopwatch.Frequency);
    }

    /// <summary>tsc_to_system_mul and tsc_shift for the guest TSC (Stopwatch ticks) to nanoseconds.</summary>
    public uint Mul { get; }
    public sbyte Shift { get; }

    /// <summary>kvmclock now, in nanoseconds.</summary>
    public long NowNs => ClockAt(Stopwatch.GetTimestamp());

    /// <summary>kvmclock at host Stopwatch timestamp <paramref name="ticks"/>.</summary>
    public long ClockAt(long ticks) => Volatile.Read(ref _nsAtOrigin) + (long)Scale((ulong)Math.Max(0, ticks - _origin), Mul, Shift);

    /// <summary>Makes kvmclock read <paramref name="ns"/> now (a restore), and republishes every vCPU's page.</summary>
    public void Set(long ns)
    {
        lock (_gate)
        {
            Volatile.Write(ref _nsAtOrigin, ns - (long)Scale((ulong)Math.Max(0, Stopwatch.GetTimestamp() - _origin), Mul, Shift));
            foreach (var v in _vcpus) v.Publish();
        }
    }

    /// <summary>Wall-clock time (since the Unix epoch) at which kvmclock read zero: what pvclock_wall_clock holds.</summary>
    public long WallNsAtZero => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - NowNs;

    public void Attach(PvClockMsrs vcpu)
    {
        lock (_gate) _vcpus.Add(vcpu);
    }

    public void Detach(PvClockMsrs vcpu)
    {
        lock (_gate) _vcpus.Remove(vcpu);
    }

    /// <summary>pvclock's conversion, as the guest computes it: shift, then a 64×32 multiply keeping the top 64 bits.</summary>
    public static ulong Scale(ulong delta, uint mul, sbyte shift)
    {
        delta = shift < 0 ? delta >> -shift : delta << shift;
        return (ulong)(((UInt128)delta * mul) >> 32);
    }

    /// <summary>The (mul, shift) pair that turns a <paramref name="hz"/> counter into nanoseconds, computed the way KVM's
    /// kvm_get_time_scale does it (the divisor is normalised into (1e9, 2e9] in 32 bits, then mul = 2^32·1e9 / divisor).</summary>
    public static (uint Mul, sbyte Shift) ScaleFor(long hz)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hz, 1);
        const ulong scaled = 1_000_000_000;
        ulong tps64 = (ulong)hz, scaled64 = scaled;
        int shift = 0;
        while (tps64 > scaled64 * 2 || (tps64 & 0xFFFF_FFFF_0000_0000) != 0)
        {
            tps64 >>= 1;
            shift--;
        }
        uint tps32 = (uint)tps64;
        while (tps32 <= scaled64 || (scaled64 & 0xFFFF_FFFF_0000_0000) != 0)
        {
            if ((scaled64 & 0xFFFF_FFFF_0000_0000) != 0 || (tps32 & 0x8000_0000) != 0) scaled64 >>= 1;
            else tps32 <<= 1;
            shift++;
        }
        return ((uint)((scaled64 << 32) / tps32), (sbyte)shift);
    }
}
