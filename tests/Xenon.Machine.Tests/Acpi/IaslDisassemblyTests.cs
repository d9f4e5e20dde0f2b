using System.Diagnostics;
using Xenon.Machine.Acpi;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Acpi;

/// <summary>Cross-checks the tables with ACPICA's disassembler (acpica-tools), when installed.</summary>
public sealed class IaslDisassemblyTests
{
    private static string? FindIasl()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var candidate = Path.Combine(dir, "iasl");
            if (dir.Length > 0 && File.Exists(candidate)) return candidate;
        }
        return null;
    }

    [Theory]
    [InlineData("DSDT")]
    [InlineData("FACP")]
    [InlineData("APIC")]
    [InlineData("MCFG")]
    [InlineData("XSDT")]
    public void IaslDisassemblesTheTableCleanly(string signature)
    {
        var iasl = FindIasl();
        if (iasl is null) Assert.Skip("iasl not installed (apt-get install acpica-tools)");

        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var table = AcpiTableReader.ReadAll(memory, AcpiTableBuilder.Write(memory, 2, 4))[signature].Bytes;

        var dir = Directory.CreateTempSubdirectory("xenon-iasl-");
        try
        {
            var input = Path.Combine(dir.FullName, signature.ToLowerInvariant() + ".dat");
            File.WriteAllBytes(input, table);
            var psi = new ProcessStartInfo(iasl, ["-d", input])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir.FullName,
            };
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            string output = stdout + stderr;
            string dsl = Path.ChangeExtension(input, ".dsl");
            Assert.True(p.ExitCode == 0 && File.Exists(dsl), $"iasl -d failed ({p.ExitCode}):\n{output}");
            string text = File.ReadAllText(dsl);
            Assert.False(text.Contains("Error", StringComparison.OrdinalIgnoreCase) || output.Contains("Error", StringComparison.Ordinal) || text.Contains("Invalid", StringComparison.Ordinal),
                $"iasl reported problems:\n{output}\n{text}");
            if (signature == "DSDT")
            {
                Assert.Contains("QEMU0001", text);
                Assert.Contains("PNP0501", text);
                Assert.Contains("PNP0B00", text);
                Assert.Contains("_S5_", text);
                // The PCI root bridge's windows, as iasl decodes them from the _CRS descriptors.
                Assert.Contains("PNP0A08", text);
                Assert.Contains("WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,", text);
                Assert.Contains("0x0D00,             // Range Minimum", text);
                Assert.Contains("0xC0000000,         // Range Minimum", text);
                Assert.Contains("0xDFFFFFFF,         // Range Maximum", text);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
