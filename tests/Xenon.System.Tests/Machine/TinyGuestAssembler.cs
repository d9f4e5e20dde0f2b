using System.Diagnostics;

namespace Xenon.System.Tests.Machine;

/// <summary>
/// Assembles a machine-test guest (GNU as, 16-bit real mode, flat binary) at test time, so the
/// guest's source sits beside the test that runs it.
/// </summary>
internal static class TinyGuestAssembler
{
    public static string? MissingToolReason()
    {
        foreach (var tool in new[] { "as", "objcopy" })
            if (!ExistsOnPath(tool)) return $"'{tool}' (binutils) is not installed: run scripts/install-deps.sh";
        return null;
    }

    /// <summary>Assembles <paramref name="source"/> for load address <paramref name="origin"/> and returns the raw bytes.</summary>
    public static byte[] Assemble(string source, ulong origin)
    {
        var dir = Directory.CreateTempSubdirectory("xenon-guest-");
        try
        {
            var asm = Path.Combine(dir.FullName, "guest.S");
            var obj = Path.Combine(dir.FullName, "guest.o");
            var elf = Path.Combine(dir.FullName, "guest.elf");
            var bin = Path.Combine(dir.FullName, "guest.bin");
            File.WriteAllText(asm, source);
            Run("as", $"--32 -o {obj} {asm}");
            Run("ld", $"-m elf_i386 -Ttext=0x{origin:x} -e 0x{origin:x} -o {elf} {obj}");
            Run("objcopy", $"-O binary -j .text {elf} {bin}");
            return File.ReadAllBytes(bin);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Run(string tool, string args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {args} failed ({p.ExitCode}):\n{err}");
    }

    private static bool ExistsOnPath(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool))) return true;
        return false;
    }
}
