using System.Globalization;
using System.Runtime.InteropServices;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Top;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon top</c>, as xl top (which runs xentop): xentop's table of every domain — CPU time and share, memory,
/// vCPUs, network and block I/O — refreshed every DELAY seconds. Options as xentop: <c>-b</c> batch (no screen
/// control, no summary; the table again each iteration), <c>-i N</c> stop after N iterations, <c>-d S</c> delay,
/// <c>-n</c>/<c>-x</c>/<c>-v</c> add per-vif, per-VBD and per-vCPU lines, <c>-r</c> repeats the header, <c>-f</c>
/// full names, <c>-z</c> Domain-0 first. Interactively, q (or Esc) quits; Ctrl-C quits in either mode.
/// </summary>
public static class TopCommand
{
    public const string Usage = "Usage: xenon top [-b] [-i ITERATIONS] [-d DELAY] [-n] [-x] [-v] [-r] [-f] [-z]";

    /// <summary>xentop's -h text, with this program's name.</summary>
    public const string Help = """
        Usage: xenon top [OPTION]
        Displays ongoing information about xen vm resources 

        -h, --help           display this help and exit
        -V, --version        output version information and exit
        -d, --delay=SECONDS  seconds between updates (default 3)
        -n, --networks       output vif network data
        -x, --vbds           output vbd block device data
        -r, --repeat-header  repeat table header before each domain
        -v, --vcpus          output vcpu data
        -b, --batch          output in batch mode, no user input accepted
        -i, --iterations     number of iterations before exiting
        -f, --full-name      output the full domain name (not truncated)
        -z, --dom0-first     display dom0 first (ignore sorting)
        """;

    /// <summary>What the options asked for.</summary>
    public sealed record Options(bool Batch, int? Iterations, int DelaySeconds, bool Networks, bool Vbds, bool Vcpus, bool RepeatHeader,
        bool FullName, bool Dom0First);

    private static readonly OptionSpec[] Specs =
    [
        new('h', "help"), new('V', "version"), new('n', "networks"), new('x', "vbds"), new('r', "repeat-header"), new('v', "vcpus"),
        new('d', "delay", "SECONDS"), new('b', "batch"), new('i', "iterations", "N"), new('f', "full-name"), new('z', "dom0-first"),
    ];

    /// <summary>Parses xentop's options; null with the problem on stderr (exit 1) or after -h/-V (exit 0, in <paramref name="exit"/>).</summary>
    public static Options? ParseOptions(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, out int exit)
    {
        exit = CommandSupport.Failure;
        var line = CommandSupport.Parse(args, Specs, "xenon top", Usage, stderr);
        if (line is null) return null;
        if (line.Has('h'))
        {
            stdout.WriteLine(Help);
            exit = 0;
            return null;
        }
        if (line.Has('V'))
        {
            stdout.WriteLine("xenon top (xentop 1.0's table)");
            exit = 0;
            return null;
        }
        if (line.Operands.Count > 0)
        {
            stderr.WriteLine(Usage);
            return null;
        }
        int delay = 3;
        if (line.Value('d') is { } d && (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out delay)))
        {
            stderr.WriteLine($"xenon top: invalid delay \"{d}\": expected a whole number of seconds");
            return null;
        }
        int? iterations = null;
        if (line.Value('i') is { } i)
        {
            if (!int.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            {
                stderr.WriteLine($"xenon top: invalid iterations \"{i}\": expected a number from 1");
                return null;
            }
            iterations = n;
        }
        return new Options(line.Has('b'), iterations, delay, line.Has('n'), line.Has('x'), line.Has('v'), line.Has('r'), line.Has('f'), line.Has('z'));
    }

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context) =>
        Run(args, stdout, stderr, () => TopSampler.Take(context), null);

    /// <param name="sample">Takes one sample of the host (tests give fixed ones).</param>
    /// <param name="wait">Waits out the delay between iterations; returns false to stop (a key or a signal). Null: the real one.</param>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Func<NodeSample> sample, Func<TimeSpan, bool>? wait)
    {
        if (ParseOptions(args, stdout, stderr, out int exit) is not { } o) return exit;
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        bool interactive = !o.Batch;
        wait ??= delay => Wait(delay, interactive, stop.Token);
        NodeSample? previous = null;
        for (int iteration = 1; ; iteration++)
        {
            var node = sample();
            var screen = Render(node, previous, o);
            if (interactive) stdout.Write("\u001b[H\u001b[2J");
            foreach (var l in screen) stdout.WriteLine(l);
            if (interactive) stdout.Write("  Delay  Networks  vBds  VCPUs  Repeat header  Sort order  Quit");
            stdout.Flush();
            previous = node;
            if (o.Iterations is { } n && iteration >= n) break;
            if (stop.IsCancellationRequested || !wait(TimeSpan.FromSeconds(o.DelaySeconds))) break;
        }
        if (interactive) stdout.WriteLine();
        return 0;
    }

    /// <summary>One iteration's lines: the summary (interactive only), the header and each domain's row and detail lines.</summary>
    public static List<string> Render(NodeSample node, NodeSample? previous, Options o)
    {
        var lines = new List<string>();
        if (!o.Batch) lines.AddRange(TopFormat.Summary(node));
        var domains = new List<DomainSample>(node.Domains);
        // xentop's default sort field is the first column, NAME (strcasecmp); -z keeps Domain-0 first.
        int start = 0;
        if (o.Dom0First)
        {
            int dom0 = domains.FindIndex(d => d.DomId == 0);
            if (dom0 > 0) (domains[0], domains[dom0]) = (domains[dom0], domains[0]);
            if (dom0 >= 0) start = 1;
        }
        domains.Sort(start, domains.Count - start, Comparer<DomainSample>.Create((a, b) => string.Compare(a.Name, b.Name, StringComparison.OrdinalIgnoreCase)));
        int[] widths = TopFormat.Widths(domains, o.FullName);
        double elapsed = previous is null ? 0 : (node.Time - previous.Time).TotalSeconds;
        for (int i = 0; i < domains.Count; i++)
        {
            var d = domains[i];
            if (i == 0 || o.RepeatHeader) lines.Add(TopFormat.Header(widths));
            DomainSample? before = null;
            if (previous is not null)
                foreach (var p in previous.Domains)
                    if (p.DomId == d.DomId) before = p;
            double cpuElapsed = before is not null && d.CpuReadAt != default && before.CpuReadAt != default
                ? (d.CpuReadAt - before.CpuReadAt).TotalSeconds
                : elapsed;
            lines.Add(TopFormat.Row(d, before, cpuElapsed, node.TotalMemoryKiB, widths, o.FullName));
            if (o.Vcpus) lines.Add(TopFormat.Vcpus(d));
            if (o.Networks) lines.AddRange(TopFormat.Networks(d));
            if (o.Vbds) lines.AddRange(TopFormat.Vbds(d));
        }
        return lines;
    }

    // Interactive: q or Esc on the terminal quits early; otherwise the delay passes (or a signal ends it).
    private static bool Wait(TimeSpan delay, bool interactive, CancellationToken stop)
    {
        var deadline = DateTime.UtcNow + delay;
        while (DateTime.UtcNow < deadline)
        {
            if (stop.IsCancellationRequested) return false;
            if (interactive && !System.Console.IsInputRedirected)
            {
                try
                {
                    while (System.Console.KeyAvailable)
                    {
                        var key = System.Console.ReadKey(intercept: true);
                        if (key.KeyChar is 'q' or 'Q' || key.Key == ConsoleKey.Escape) return false;
                    }
                }
                catch (InvalidOperationException)
                {
                    interactive = false;
                }
            }
            Thread.Sleep(50);
        }
        return !stop.IsCancellationRequested;
    }
}
