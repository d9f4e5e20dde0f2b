using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Xenon.Kvm.Tests;

/// <summary>Like <see cref="NativeLayoutProbe"/>, for the network headers (tun, ifreq, sockios, iovec, virtio_net):
/// compiles a C program printing each expression's value and returns them by expression.</summary>
internal static class TapLayoutProbe
{
    private static readonly string[] Headers =
        ["stdio.h", "stddef.h", "limits.h", "fcntl.h", "sys/ioctl.h", "sys/socket.h", "sys/uio.h", "net/if.h", "linux/if_tun.h", "linux/sockios.h", "linux/virtio_net.h"];

    public static Dictionary<string, ulong>? Evaluate(IReadOnlyList<string> expressions, out string skipReason)
    {
        skipReason = "";
        string? gcc = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists);
        if (gcc is null)
        {
            skipReason = "gcc is not installed";
            return null;
        }
        if (!File.Exists("/usr/include/linux/if_tun.h"))
        {
            skipReason = "/usr/include/linux/if_tun.h is missing (install linux-libc-dev)";
            return null;
        }

        string dir = Directory.CreateTempSubdirectory("xenon-tap-layout-").FullName;
        try
        {
            var c = new StringBuilder();
            c.AppendLine("#define _GNU_SOURCE"); // IOV_MAX
            foreach (var h in Headers) c.AppendLine(CultureInfo.InvariantCulture, $"#include <{h}>");
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

            var values = new Dictionary<string, ulong>();
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                values[expressions[int.Parse(parts[0], CultureInfo.InvariantCulture)]] = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
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
}
