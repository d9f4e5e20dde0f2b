using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Xenon.Emulator.Tests.Support;

/// <summary>One instruction's inputs: code bytes, RFLAGS, the 16 GPRs (RSP ignored) and the 64-byte data buffer at 0x200000.</summary>
internal sealed record ReferenceInput(byte[] Code, ulong Flags, ulong[] Regs, byte[] Data)
{
    /// <summary>XMM0..XMM3, 16 bytes each.</summary>
    public byte[] Xmm { get; init; } = new byte[64];
}

/// <summary>What the CPU produced: the exception vector (-1 none), RFLAGS, GPRs, data buffer.</summary>
internal sealed record ReferenceOutput(int Vector, ulong Flags, ulong[] Regs, byte[] Data)
{
    public byte[] Xmm { get; init; } = new byte[64];
}

/// <summary>
/// Runs instructions on the host CPU through Support/reference_harness.c, compiled with gcc on first use. The host is
/// the reference: the emulator must agree with it on every defined result and flag.
/// </summary>
internal static class NativeReference
{
    private static readonly Lazy<(string? Exe, string Reason)> Harness = new(Build);

    public static string? SkipReason => Harness.Value.Exe is null ? Harness.Value.Reason : null;

    private static (string?, string) Build()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            return (null, "the reference harness needs an x86-64 Linux host");
        string? gcc = FindOnPath("gcc");
        if (gcc is null) return (null, "gcc is not installed");
        string source = Path.Combine(AppContext.BaseDirectory, "Support", "reference_harness.c");
        string dir = Directory.CreateTempSubdirectory("xenon-emu-ref-").FullName;
        string exe = Path.Combine(dir, "reference_harness");
        var (rc, output) = Run(gcc, $"-O1 -o {exe} {source}", null);
        if (rc != 0) throw new InvalidOperationException($"gcc failed ({rc}):\n{output}");
        return (exe, "");
    }

    public static List<ReferenceOutput> Execute(IReadOnlyList<ReferenceInput> cases)
    {
        string exe = Harness.Value.Exe ?? throw new InvalidOperationException(Harness.Value.Reason);
        var input = new StringBuilder();
        foreach (var c in cases)
        {
            input.Append(Convert.ToHexString(c.Code)).Append(' ').Append(c.Flags.ToString("x", CultureInfo.InvariantCulture));
            foreach (ulong r in c.Regs) input.Append(' ').Append(r.ToString("x", CultureInfo.InvariantCulture));
            input.Append(' ').Append(Convert.ToHexString(c.Data)).Append(' ').Append(Convert.ToHexString(c.Xmm)).Append('\n');
        }
        var (rc, output) = Run(exe, "", input.ToString());
        if (rc != 0) throw new InvalidOperationException($"reference harness failed ({rc}):\n{output}");
        var results = new List<ReferenceOutput>(cases.Count);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] p = line.Split(' ');
            var regs = new ulong[16];
            for (int k = 0; k < 16; k++) regs[k] = ulong.Parse(p[2 + k], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            results.Add(new ReferenceOutput(int.Parse(p[0], CultureInfo.InvariantCulture),
                ulong.Parse(p[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), regs, Convert.FromHexString(p[18]))
            {
                Xmm = Convert.FromHexString(p[19]),
            });
        }
        if (results.Count != cases.Count) throw new InvalidOperationException($"harness answered {results.Count} of {cases.Count} cases:\n{output}");
        return results;
    }

    private static (int, string) Run(string file, string args, string? stdin)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
