using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Xenon.Kvm.Tests;

/// <summary>Compiles a C program that prints the value of each given C expression (sizeof/offsetof/ioctl
/// numbers) against the system's Linux headers, runs it, and returns the values by expression.</summary>
internal static class NativeLayoutProbe
{
    private static readonly string[] KvmHeaders = ["stdio.h", "stddef.h", "linux/kvm.h", "sys/epoll.h"];

    /// <summary>Against the KVM and epoll headers. Returns null and sets <paramref name="skipReason"/> if gcc or the headers are missing.</summary>
    public static Dictionary<string, ulong>? Evaluate(IReadOnlyList<string> expressions, out string skipReason, out string log) =>
        Evaluate(expressions, KvmHeaders, "linux/kvm.h", out skipReason, out log);

    /// <param name="headers">Included in order (the program defines _GNU_SOURCE first).</param>
    /// <param name="requiredHeader">Its absence under /usr/include means the headers package is missing: a skip.</param>
    public static Dictionary<string, ulong>? Evaluate(IReadOnlyList<string> expressions, IReadOnlyList<string> headers, string requiredHeader,
        out string skipReason, out string log)
    {
        skipReason = "";
        log = "";
        string? gcc = FindOnPath("gcc");
        if (gcc is null)
        {
            skipReason = "gcc is not installed";
            return null;
        }
        if (!File.Exists($"/usr/include/{requiredHeader}"))
        {
            skipReason = $"/usr/include/{requiredHeader} is missing (install linux-libc-dev)";
            return null;
        }

        string dir = Directory.CreateTempSubdirectory("xenon-layout-").FullName;
        try
        {
            var c = new StringBuilder();
            c.AppendLine("#define _GNU_SOURCE"); // IOV_MAX
            foreach (var h in headers) c.AppendLine(CultureInfo.InvariantCulture, $"#include <{h}>");
            c.AppendLine("int main(void) {");
            for (int i = 0; i < expressions.Count; i++)
                c.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"{i} %llu\\n\", (unsigned long long)({expressions[i]}));");
            c.AppendLine("  return 0;");
            c.AppendLine("}");
            string source = Path.Combine(dir, "layout.c");
            string exe = Path.Combine(dir, "layout");
            File.WriteAllText(source, c.ToString());

            var (rc, output) = Run(gcc, $"-std=gnu11 -O0 -o {exe} {source}");
            if (rc != 0) throw new InvalidOperationException($"gcc failed ({rc}):\n{output}\n--- source ---\n{c}");
            (rc, output) = Run(exe, "");
            if (rc != 0) throw new InvalidOperationException($"layout program failed ({rc}):\n{output}");
            log = output;

            var values = new Dictionary<string, ulong>();
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                int index = int.Parse(parts[0], CultureInfo.InvariantCulture);
                values[expressions[index]] = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return values;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
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
