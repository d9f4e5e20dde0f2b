using System.Diagnostics;
using Xenon.Machine.Acpi;
using Xenon.Machine.Acpi.Aml;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Acpi;

/// <summary>The CPU hotplug AML: opcodes against hand-checked bytes, and the whole DSDT through ACPICA's
/// disassembler and compiler (acpica-tools) when installed.</summary>
public sealed class CpuHotplugAmlTests(ITestOutputHelper output)
{
    [Fact]
    public void MethodEncodesFlagsAndBody()
    {
        // Method(\_SB.CEJ0, 1) { Return (Arg0) }: MethodOp, PkgLength, \_SB.CEJ0, flags 1, ReturnOp Arg0
        byte[] expected = [0x14, 0x0e, 0x5c, 0x2e, (byte)'_', (byte)'S', (byte)'B', (byte)'_', (byte)'C', (byte)'E', (byte)'J', (byte)'0', 0x01, 0xa4, 0x68];
        Assert.Equal(expected, AmlEncoder.Method("\\_SB.CEJ0", 1, AmlEncoder.Return(AmlEncoder.Arg(0))));
    }

    [Fact]
    public void FieldListsNamesAndBitWidths()
    {
        // Field(CPRG, ByteAcc, NoLock, WriteAsZeros) { CSEL, 32, CCMD, 8 }
        byte[] expected = [0x5b, 0x81, 0x10, (byte)'C', (byte)'P', (byte)'R', (byte)'G', 0x41,
            (byte)'C', (byte)'S', (byte)'E', (byte)'L', 0x20, (byte)'C', (byte)'C', (byte)'M', (byte)'D', 0x08];
        Assert.Equal(expected, AmlEncoder.Field("CPRG", AmlEncoder.FieldByteAccWriteAsZeros, ("CSEL", 32), ("CCMD", 8)));
    }

    [Fact]
    public void FieldAtStartsWithAReservedFieldOfTheOffsetsBits()
    {
        // Field(CPRG, ByteAcc, NoLock, WriteAsZeros) { Offset (4), CCMD, 8 }: ReservedField 0x00, 32 bits
        byte[] expected = [0x5b, 0x81, 0x0d, (byte)'C', (byte)'P', (byte)'R', (byte)'G', 0x41,
            0x00, 0x20, (byte)'C', (byte)'C', (byte)'M', (byte)'D', 0x08];
        Assert.Equal(expected, AmlEncoder.FieldAt("CPRG", AmlEncoder.FieldByteAccWriteAsZeros, 32, ("CCMD", 8)));
        Assert.Equal(AmlEncoder.Field("CPRG", 0x41, ("CCMD", 8)), AmlEncoder.FieldAt("CPRG", 0x41, 0, ("CCMD", 8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => AmlEncoder.FieldAt("CPRG", 0x41, -8, ("CCMD", 8)));
    }

    [Fact]
    public void TheCpuSelectorIsOneDwordAccessAndTheCommandOneByte()
    {
        // Each byte of a ByteAcc CSEL was an OUT of its own, i.e. four exits per _STA; DWordAcc (AccessType 3) is one.
        Assert.Equal(0x43, AmlEncoder.FieldDWordAccWriteAsZeros);
        byte[] selector = [0x5b, 0x81, 0x11, 0x5c, 0x2e, (byte)'_', (byte)'S', (byte)'B', (byte)'_', (byte)'C', (byte)'P', (byte)'R', (byte)'G', 0x43,
            (byte)'C', (byte)'S', (byte)'E', (byte)'L', 0x20];
        byte[] command = [0x5b, 0x81, 0x13, 0x5c, 0x2e, (byte)'_', (byte)'S', (byte)'B', (byte)'_', (byte)'C', (byte)'P', (byte)'R', (byte)'G', 0x41,
            0x00, 0x20, (byte)'C', (byte)'C', (byte)'M', (byte)'D', 0x08];
        var dsdt = Dsdt(1, 2);
        Assert.True(dsdt.AsSpan().IndexOf(selector) > 0, "CSEL is not a DWordAcc field of its own");
        Assert.True(dsdt.AsSpan().IndexOf(command) > 0, "CCMD is not a ByteAcc field at offset 4");
    }

    [Theory]
    [InlineData(8, new byte[] { 0x08 })]
    [InlineData(63, new byte[] { 0x3f })]
    [InlineData(64, new byte[] { 0x40, 0x04 })]
    [InlineData(4096, new byte[] { 0x80, 0x00, 0x01 })]
    public void FieldWidthsUsePackageLengthEncodingWithoutCountingThemselves(int bits, byte[] expected)
        => Assert.Equal(expected, AmlEncoder.FieldWidth(bits));

    [Fact]
    public void OperationRegionAndMutexAndAcquire()
    {
        Assert.Equal([0x5b, 0x80, (byte)'C', (byte)'P', (byte)'R', (byte)'G', 0x01, 0x0b, 0x30, 0x06, 0x0a, 0x08],
            AmlEncoder.OperationRegion("CPRG", AmlEncoder.RegionSystemIo, 0x630, 8));
        Assert.Equal([0x5b, 0x01, (byte)'C', (byte)'P', (byte)'L', (byte)'K', 0x00], AmlEncoder.Mutex("CPLK"));
        Assert.Equal([0x5b, 0x23, (byte)'C', (byte)'P', (byte)'L', (byte)'K', 0xff, 0xff], AmlEncoder.Acquire("CPLK"));
        Assert.Equal([0x5b, 0x27, (byte)'C', (byte)'P', (byte)'L', (byte)'K'], AmlEncoder.Release("CPLK"));
    }

    [Fact]
    public void IfElseWhileWrapTheirBodies()
    {
        // If (LLess (Local0, 4)) { Local0++ } Else { Return (One) }
        var ifElse = AmlEncoder.Concat(
            AmlEncoder.If(AmlEncoder.LLess(AmlEncoder.Local(0), AmlEncoder.Integer(4)), AmlEncoder.Increment(AmlEncoder.Local(0))),
            AmlEncoder.Else(AmlEncoder.Return(AmlEncoder.Integer(1))));
        Assert.Equal([0xa0, 0x07, 0x95, 0x60, 0x0a, 0x04, 0x75, 0x60, 0xa1, 0x03, 0xa4, 0x01], ifElse);
        Assert.Equal([0xa2, 0x04, 0x01, 0x75, 0x61], AmlEncoder.While(AmlEncoder.Integer(1), AmlEncoder.Increment(AmlEncoder.Local(1))));
        Assert.Equal([0x86, (byte)'C', (byte)'0', (byte)'0', (byte)'2', 0x69], AmlEncoder.Notify("C002", AmlEncoder.Arg(1)));
        Assert.Equal([0x7b, 0x61, 0x0a, 0x02, 0x00], AmlEncoder.And(AmlEncoder.Local(1), AmlEncoder.Integer(2)));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(-1)]
    public void LocalsAreZeroToSeven(int n) => Assert.Throws<ArgumentOutOfRangeException>(() => AmlEncoder.Local(n));

    [Fact]
    public void EveryPossibleCpuHasAProcessorDeviceAndOnlyTheBootCpuCannotBeEjected()
    {
        var dsdt = Dsdt(2, 4);
        for (int i = 0; i < 4; i++)
            Assert.True(IndexOfDevice(dsdt, CpuHotplugAml.DeviceName(i)) > 0, $"processor device {CpuHotplugAml.DeviceName(i)} missing");
        Assert.Equal(-1, IndexOfDevice(dsdt, CpuHotplugAml.DeviceName(4)));
        Assert.True(dsdt.AsSpan().IndexOf("ACPI0007"u8) > 0);
        // _MAT of C003: an enabled Processor Local APIC entry for UID 3, APIC ID 3.
        Assert.True(dsdt.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x11, 0x0b, 0x0a, 0x08, 0x00, 0x08, 0x03, 0x03, 0x01, 0x00, 0x00, 0x00]) > 0);
        Assert.Equal(3, Count(dsdt, "_EJ0"u8));
    }

    [Fact]
    public void DeviceNamesAreHexIndexes()
    {
        Assert.Equal("C000", CpuHotplugAml.DeviceName(0));
        Assert.Equal("C0FE", CpuHotplugAml.DeviceName(254));
    }

    [Fact]
    public void FadtAdvertisesTheGpe0Block()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var fadt = AcpiTableReader.ReadAll(memory, AcpiTableBuilder.Write(memory, 1, 2))["FACP"].Bytes;
        Assert.Equal(AcpiPorts.Gpe0Block, BitConverter.ToUInt32(fadt, 80));
        Assert.Equal(AcpiPorts.Gpe0BlockLength, fadt[92]);
        Assert.Equal([1, 32, 0, 1], fadt[220..224]);
        Assert.Equal((ulong)AcpiPorts.Gpe0Block, BitConverter.ToUInt64(fadt, 224));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 4)]
    [InlineData(1, 255)]
    public void IaslDecompilesAndRecompilesTheDsdt(int vcpus, int maxVcpus)
    {
        var iasl = FindIasl();
        if (iasl is null) Assert.Skip("iasl not installed (apt-get install acpica-tools)");
        var dir = Directory.CreateTempSubdirectory("xenon-iasl-cpu-");
        try
        {
            var input = Path.Combine(dir.FullName, "dsdt.dat");
            File.WriteAllBytes(input, Dsdt(vcpus, maxVcpus));
            var (code, log) = Run(iasl, dir.FullName, "-d", input);
            string dsl = Path.ChangeExtension(input, ".dsl");
            Assert.True(code == 0 && File.Exists(dsl), $"iasl -d failed ({code}):\n{log}");
            string text = File.ReadAllText(dsl);
            if (maxVcpus == 4) output.WriteLine(text);
            Assert.DoesNotContain("Error", log, StringComparison.Ordinal);
            Assert.Contains("Method (_E02, 0, NotSerialized)", text);
            Assert.Contains("\\_SB.CSCN ()", text);
            Assert.Contains($"Device (C{maxVcpus - 1:X3})", text);
            Assert.Contains("OperationRegion (\\_SB.CPRG, SystemIO, 0x0630, 0x08)", text);
            Assert.Contains("Field (\\_SB.CPRG, DWordAcc, NoLock, WriteAsZeros)", text);
            Assert.Contains("Field (\\_SB.CPRG, ByteAcc, NoLock, WriteAsZeros)", text);
            Assert.Contains("Offset (0x04)", text);
            Assert.Contains("Return (\\_SB.CSTA (0x02))", maxVcpus > 2 ? text : "Return (\\_SB.CSTA (0x02))");
            Assert.Contains($"Notify (\\_SB.C{maxVcpus - 1:X3}, Arg1)", text);
            Assert.Contains("While ((Local0 < ", text);
            // The disassembly compiles back without errors: every method call resolved, every object well formed.
            var (compiled, compileLog) = Run(iasl, dir.FullName, "-p", Path.Combine(dir.FullName, "again"), dsl);
            Assert.True(compiled == 0, $"iasl could not recompile the disassembly ({compiled}):\n{compileLog}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static byte[] Dsdt(int vcpus, int maxVcpus)
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        return AcpiTableReader.ReadAll(memory, AcpiTableBuilder.Write(memory, vcpus, maxVcpus))["DSDT"].Bytes;
    }

    private static int IndexOfDevice(byte[] table, string name)
    {
        var n = System.Text.Encoding.ASCII.GetBytes(name);
        for (int at = table.AsSpan().IndexOf(n); at >= 0;)
        {
            // DeviceOp, PkgLength (1 or 2 bytes), then the name
            if ((at >= 3 && table[at - 3] == 0x5b && table[at - 2] == 0x82) || (at >= 4 && table[at - 4] == 0x5b && table[at - 3] == 0x82))
                return at;
            int next = table.AsSpan(at + 1).IndexOf(n);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return -1;
    }

    private static int Count(byte[] table, ReadOnlySpan<byte> needle)
    {
        int count = 0;
        for (int at = 0; ;)
        {
            int i = table.AsSpan(at).IndexOf(needle);
            if (i < 0) return count;
            count++;
            at += i + needle.Length;
        }
    }

    private static string? FindIasl()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var candidate = Path.Combine(dir, "iasl");
            if (dir.Length > 0 && File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static (int Code, string Log) Run(string exe, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
