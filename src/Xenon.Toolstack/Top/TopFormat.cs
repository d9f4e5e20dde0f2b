using System.Globalization;
using System.Text;

namespace Xenon.Toolstack.Top;

/// <summary>
/// xentop's screen, character for character (tools/xentop/xentop.c): the summary lines, the table's header and one
/// row per domain with its field widths (the counter columns widen for large numbers, for every row alike), and the
/// optional VCPU/network/VBD lines. CPU(%) is the CPU time used between two samples over the wall time between them
/// (0.0 without a previous sample).
/// </summary>
public static class TopFormat
{
    private static readonly string[] Headers =
        ["NAME", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "MEM(%)", "MAXMEM(k)", "MAXMEM(%)", "VCPUS", "NETS", "NETTX(k)", "NETRX(k)",
         "VBDS", "VBD_OO", "VBD_RD", "VBD_WR", "VBD_RSECT", "VBD_WSECT", "SSID"];

    private static readonly int[] DefaultWidths = [10, 6, 10, 6, 10, 6, 10, 9, 5, 4, 8, 8, 4, 8, 8, 8, 10, 10, 4];

    private const int NetTx = 10, NetRx = 11, VbdRd = 14, VbdWr = 15, VbdRsect = 16, VbdWsect = 17, Name = 0;

    /// <summary>The widths of this sample's columns: xentop's defaults, widened for the largest counter (and, with
    /// <paramref name="fullName"/>, the longest name).</summary>
    public static int[] Widths(IReadOnlyList<DomainSample> domains, bool fullName)
    {
        var w = (int[])DefaultWidths.Clone();
        foreach (var d in domains)
        {
            if (fullName) w[Name] = Math.Max(w[Name], d.Name.Length);
            Widen(w, NetTx, Net(d, rx: false) / 1024);
            Widen(w, NetRx, Net(d, rx: true) / 1024);
            Widen(w, VbdRd, Vbd(d, v => v.ReadRequests));
            Widen(w, VbdWr, Vbd(d, v => v.WriteRequests));
            Widen(w, VbdRsect, Vbd(d, v => v.ReadSectors));
            Widen(w, VbdWsect, Vbd(d, v => v.WriteSectors));
        }
        return w;
    }

    // xentop's INT_FIELD_WIDTH(n + 1).
    private static void Widen(int[] w, int field, ulong value)
    {
        int digits = (value + 1).ToString(CultureInfo.InvariantCulture).Length;
        if (digits > w[field]) w[field] = digits;
    }

    public static string Header(int[] widths)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Headers.Length; i++)
        {
            if (i != 0) sb.Append(' ');
            sb.Append(Headers[i].PadLeft(widths[i]));
        }
        return sb.ToString();
    }

    /// <summary>One domain's row; <paramref name="previous"/> (the same domain in the last sample) gives CPU(%).</summary>
    public static string Row(DomainSample d, DomainSample? previous, double elapsedSeconds, ulong nodeMemoryKiB, int[] widths, bool fullName)
    {
        string name = fullName ? d.Name.PadLeft(widths[Name]) : Truncate(d.Name, 10).PadLeft(10);
        var fields = new string[Headers.Length];
        fields[0] = name;
        fields[1] = State(d);
        fields[2] = U(d.CpuNs / 1_000_000_000, widths[2]);
        fields[3] = F1(CpuPercent(d, previous, elapsedSeconds), 6);
        fields[4] = U(d.MemoryKiB, 10);
        fields[5] = F1(nodeMemoryKiB == 0 ? 0 : (double)d.MemoryKiB / nodeMemoryKiB * 100, 6);
        fields[6] = d.MaxMemoryKiB is { } max ? U(max, 10) : "no limit".PadLeft(10);
        fields[7] = d.MaxMemoryKiB is { } m ? F1(nodeMemoryKiB == 0 ? 0 : (double)m / nodeMemoryKiB * 100, 9) : "n/a".PadLeft(9);
        fields[8] = U((ulong)d.Vcpus, 5);
        fields[9] = U((ulong)d.Nets.Count, 4);
        fields[10] = U(Net(d, rx: false) / 1024, widths[NetTx]);
        fields[11] = U(Net(d, rx: true) / 1024, widths[NetRx]);
        fields[12] = U((ulong)d.Vbds.Count, 4);
        fields[13] = VbdField(d, v => v.OutOfRequests, 8);
        fields[14] = VbdField(d, v => v.ReadRequests, widths[VbdRd]);
        fields[15] = VbdField(d, v => v.WriteRequests, widths[VbdWr]);
        fields[16] = VbdField(d, v => v.ReadSectors, widths[VbdRsect]);
        fields[17] = VbdField(d, v => v.WriteSectors, widths[VbdWsect]);
        fields[18] = U(0, 4);
        return string.Join(' ', fields);
    }

    /// <summary>xentop's CPU(%): CPU nanoseconds used since the previous sample over the microseconds between them, / 10.</summary>
    public static double CpuPercent(DomainSample d, DomainSample? previous, double elapsedSeconds)
    {
        if (previous is null || elapsedSeconds <= 0 || d.CpuNs < previous.CpuNs) return 0;
        return (d.CpuNs - previous.CpuNs) / 10.0 / (elapsedSeconds * 1_000_000);
    }

    /// <summary>xentop's six state letters in its order d s b c p r.</summary>
    public static string State(DomainSample d) =>
        $"--{(d.Blocked ? 'b' : '-')}-{(d.Paused ? 'p' : '-')}{(d.Running ? 'r' : '-')}";

    /// <summary>The summary above the table in interactive mode.</summary>
    public static IEnumerable<string> Summary(NodeSample node)
    {
        int run = 0, block = 0, pause = 0;
        foreach (var d in node.Domains)
        {
            if (d.Running) run++;
            else if (d.Blocked) block++;
            else if (d.Paused) pause++;
        }
        yield return $"xentop - {node.Time.ToLocalTime():HH:mm:ss}   Xenon (KVM)";
        yield return $"{node.Domains.Count} domains: {run} running, {block} blocked, {pause} paused, 0 crashed, 0 dying, 0 shutdown ";
        yield return $"Mem: {node.TotalMemoryKiB}k total, {node.TotalMemoryKiB - Math.Min(node.FreeMemoryKiB, node.TotalMemoryKiB)}k used, {node.FreeMemoryKiB}k free    " +
            $"CPUs: {node.Cpus} @ {Mhz(node.CpuMhz)}MHz";
    }

    /// <summary>xentop -v: <c>VCPUs(sec): </c> then <c>" %2u: %10llus"</c> per vCPU, five to a line.</summary>
    public static string Vcpus(DomainSample d)
    {
        var sb = new StringBuilder("VCPUs(sec): ");
        for (int i = 0; i < d.VcpuNs.Count; i++)
        {
            if (i != 0 && i % 5 == 0) sb.Append("\n        ");
            sb.Append(' ').Append(i.ToString(CultureInfo.InvariantCulture).PadLeft(2)).Append(": ")
              .Append(U(d.VcpuNs[i] / 1_000_000_000, 10)).Append('s');
        }
        return sb.ToString();
    }

    /// <summary>xentop -n: one line per vif.</summary>
    public static IEnumerable<string> Networks(DomainSample d)
    {
        for (int i = 0; i < d.Nets.Count; i++)
        {
            var n = d.Nets[i];
            yield return $"Net{i} RX: {U(n.RxBytes, 8)}bytes {U(n.RxPackets, 8)}pkts {U(n.RxErrors, 8)}err {U(n.RxDrop, 8)}drop  " +
                $"TX: {U(n.TxBytes, 8)}bytes {U(n.TxPackets, 8)}pkts {U(n.TxErrors, 8)}err {U(n.TxDrop, 8)}drop";
        }
    }

    /// <summary>xentop -x: one line per VBD (the device number as Xen's, [major:minor] in hex).</summary>
    public static IEnumerable<string> Vbds(DomainSample d)
    {
        foreach (var v in d.Vbds)
        {
            string details = $"[{(v.Device >> 8) & 0xfff:x2}:{v.Device & 0xff:x2}] ";
            yield return $"VBD BlkBack {v.Device,4} {details} OO: {U(v.OutOfRequests, 8)}   RD: {U(v.ReadRequests, 8)}   WR: {U(v.WriteRequests, 8)}   " +
                $"RSECT: {U(v.ReadSectors, 10)}   WSECT: {U(v.WriteSectors, 10)}";
        }
    }

    private static string VbdField(DomainSample d, Func<VbdSample, ulong> pick, int width) =>
        d.DeviceStatsKnown ? U(Vbd(d, pick), width) : "-".PadLeft(width);

    private static ulong Vbd(DomainSample d, Func<VbdSample, ulong> pick)
    {
        ulong total = 0;
        foreach (var v in d.Vbds) total += pick(v);
        return total;
    }

    private static ulong Net(DomainSample d, bool rx)
    {
        ulong total = 0;
        foreach (var n in d.Nets) total += rx ? n.RxBytes : n.TxBytes;
        return total;
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n];

    private static string U(ulong v, int width) => v.ToString(CultureInfo.InvariantCulture).PadLeft(width);

    private static string F1(double v, int width) => v.ToString("F1", CultureInfo.InvariantCulture).PadLeft(width);

    private static string Mhz(string mhz) =>
        double.TryParse(mhz, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? ((ulong)v).ToString(CultureInfo.InvariantCulture) : "0";
}
