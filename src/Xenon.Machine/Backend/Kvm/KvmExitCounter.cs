using System.Globalization;
using System.Text;
using Xenon.Kvm.Abi;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>
/// Counts one vCPU's exits to user space by reason, port and MMIO page, for boot-time work: an exit costs a round
/// trip through this process (thousands of times more on a nested host), so the avoidable ones are worth finding.
/// Exits KVM handles itself (MSRs, the in-kernel APIC, HLT) never reach here; its debugfs counts those.
/// Created only when tracing; counting allocates nothing except the first time an MMIO page is seen.
/// </summary>
public sealed class KvmExitCounter
{
    private const int ReasonSlots = 64, TopShown = 12;

    private readonly long[] _byReason = new long[ReasonSlots];
    private readonly long[] _byPort = new long[65536];
    private readonly Dictionary<ulong, long> _byMmioPage = [];

    /// <summary>A counter when XENON_TRACE=1 (the build trace's switch), else null: nothing is counted.</summary>
    public static KvmExitCounter? FromEnvironment() =>
        Environment.GetEnvironmentVariable("XENON_TRACE") == "1" ? new KvmExitCounter() : null;

    public long Total { get; private set; }

    public void Count(uint reason)
    {
        Total++;
        _byReason[reason < ReasonSlots ? reason : 0]++;
    }

    public void CountIo(ushort port, int items) => _byPort[port] += items;

    public void CountMmio(ulong address)
    {
        ulong page = address & ~0xfffUL;
        _byMmioPage[page] = _byMmioPage.GetValueOrDefault(page) + 1;
    }

    public long ByReason(KvmExitReason reason) => (uint)reason < ReasonSlots ? _byReason[(uint)reason] : 0;

    public long ByPort(ushort port) => _byPort[port];

    /// <summary>One line: the total, every reason seen, and the busiest ports and MMIO pages.</summary>
    public string Describe(int vcpuIndex)
    {
        var ic = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ic, $"vcpu{vcpuIndex}: {Total} exits to user space:");
        for (int r = 0; r < ReasonSlots; r++)
            if (_byReason[r] != 0) sb.Append(ic, $" {(Enum.IsDefined((KvmExitReason)r) ? ((KvmExitReason)r).ToString() : r.ToString(ic))} {_byReason[r]}");
        var ports = new List<(long Count, int Port)>();
        for (int p = 0; p < _byPort.Length; p++)
            if (_byPort[p] != 0) ports.Add((_byPort[p], p));
        ports.Sort((a, b) => b.Count.CompareTo(a.Count));
        if (ports.Count > 0) sb.Append("; ports");
        for (int i = 0; i < Math.Min(ports.Count, TopShown); i++) sb.Append(ic, $" 0x{ports[i].Port:x} {ports[i].Count}");
        var pages = new List<(long Count, ulong Page)>();
        foreach (var (page, count) in _byMmioPage) pages.Add((count, page));
        pages.Sort((a, b) => b.Count.CompareTo(a.Count));
        if (pages.Count > 0) sb.Append("; mmio pages");
        for (int i = 0; i < Math.Min(pages.Count, TopShown); i++) sb.Append(ic, $" 0x{pages[i].Page:x} {pages[i].Count}");
        return sb.ToString();
    }
}
