using System.Globalization;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// A domain's credit-scheduler parameters as xl knows them (weight 1..65535, default 256; cap in percent of one
/// CPU, 0 = none, at most 100 per vCPU) and what they become in the host's CFS through cgroups: weight is the
/// domain's share relative to the others (v1 <c>cpu.shares</c> = weight × 1024 / 256, v2 <c>cpu.weight</c> =
/// weight × 100 / 256, so the defaults of both match 256), cap a CFS bandwidth quota per 100 ms period.
/// </summary>
public sealed record SchedParams(int Weight, int Cap)
{
    public const int DefaultWeight = 256;
    public const int MinWeight = 1;
    public const int MaxWeight = 65535;

    /// <summary>CFS bandwidth period for caps: 100 ms, the kernel's default, so 1% of a CPU is 1 ms of it.</summary>
    public const long CapPeriodMicroseconds = 100_000;

    public static readonly SchedParams Default = new(DefaultWeight, 0);

    /// <summary>libxl's checks, with its messages. Null if fine.</summary>
    public static string? Validate(int weight, int cap, int maxVcpus)
    {
        if (weight is < MinWeight or > MaxWeight)
            return "Cpu weight out of range, valid values are within range from 1 to 65535";
        if (cap < 0 || cap > maxVcpus * 100)
            return $"Cpu cap out of range, valid range is from 0 to {maxVcpus * 100} for specified number of vcpus";
        return null;
    }

    /// <summary>cgroup v1 <c>cpu.shares</c> (the kernel's range is 2..262144).</summary>
    public long V1Shares => Math.Clamp(Weight * 1024L / 256, 2, 262144);

    /// <summary>cgroup v2 <c>cpu.weight</c> (the kernel's range is 1..10000).</summary>
    public long V2Weight => Math.Clamp(Weight * 100L / 256, 1, 10000);

    /// <summary>cgroup v1 <c>cpu.cfs_quota_us</c>: -1 (no limit) for cap 0.</summary>
    public long V1QuotaMicroseconds => Cap == 0 ? -1 : Cap * CapPeriodMicroseconds / 100;

    /// <summary>cgroup v2 <c>cpu.max</c>: "QUOTA PERIOD", QUOTA "max" for cap 0.</summary>
    public string V2Max => Cap == 0
        ? $"max {CapPeriodMicroseconds.ToString(CultureInfo.InvariantCulture)}"
        : $"{(Cap * CapPeriodMicroseconds / 100).ToString(CultureInfo.InvariantCulture)} {CapPeriodMicroseconds.ToString(CultureInfo.InvariantCulture)}";
}
