using System.Buffers.Binary;
using Xenon.Machine.Acpi;
using Xenon.Machine.Memory;
using static Xenon.Machine.Tests.Acpi.AcpiTableReader;

namespace Xenon.Machine.Tests.Acpi;

public sealed class AcpiTableBuilderTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.CreateX86(64 * X86Layout.MiB);

    public void Dispose() => _memory.Dispose();

    private static uint U32(byte[] t, int at) => BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(at));
    private static ushort U16(byte[] t, int at) => BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(at));
    private static ulong U64(byte[] t, int at) => BinaryPrimitives.ReadUInt64LittleEndian(t.AsSpan(at));

    [Fact]
    public void RsdpIsInTheLegacyScanAreaWithBothChecksums()
    {
        ulong rsdp = AcpiTableBuilder.Write(_memory, 2, 4);
        Assert.InRange(rsdp, 0xe0000UL, 0xfffdcUL);
        Assert.Equal(0UL, rsdp % 16);
        var bytes = ReadAll(_memory, rsdp)["RSD PTR "].Bytes;
        Assert.Equal("RSD PTR "u8.ToArray(), bytes[..8]);
        Assert.Equal(2, bytes[15]);
        Assert.Equal(36u, U32(bytes, 20));
        Assert.Equal(0, ByteSum(bytes.AsSpan(0, 20)));
        Assert.Equal(0, ByteSum(bytes));
        Assert.Equal("XENON "u8.ToArray(), bytes[9..15]);
    }

    [Fact]
    public void EveryTableHasItsLengthAndAZeroChecksum()
    {
        ulong rsdp = AcpiTableBuilder.Write(_memory, 1, 1);
        var all = ReadAll(_memory, rsdp);
        Assert.Equal(["APIC", "DSDT", "FACP", "FACS", "MCFG", "RSD PTR ", "RSDT", "XSDT"], all.Keys.Order().ToArray());
        foreach (var (sig, (address, bytes)) in all)
        {
            Assert.InRange(address, AcpiTableBuilder.TableAreaStart, AcpiTableBuilder.TableAreaEnd - (ulong)bytes.Length);
            if (sig is "FACS" or "RSD PTR ") continue;
            Assert.True(ByteSum(bytes) == 0, $"{sig} at 0x{address:x}: bytes sum to 0x{ByteSum(bytes):x}, not 0");
            Assert.True("XENON "u8.SequenceEqual(bytes.AsSpan(10, 6)), $"{sig}: OEM id is not 'XENON '");
        }
        Assert.Equal(0UL, all["FACS"].Address % 64);
        Assert.Equal(64u, U32(all["FACS"].Bytes, 4));
        Assert.Equal("FACS"u8.ToArray(), all["FACS"].Bytes[..4]);
    }

    [Fact]
    public void RsdtAndXsdtListTheSameTables()
    {
        var all = ReadAll(_memory, AcpiTableBuilder.Write(_memory, 1, 1));
        var xsdt = XsdtEntries(all["XSDT"].Bytes);
        var rsdt = all["RSDT"].Bytes;
        Assert.Equal(36 + 4 * xsdt.Length, rsdt.Length);
        for (int i = 0; i < xsdt.Length; i++) Assert.Equal(xsdt[i], U32(rsdt, 36 + 4 * i));
    }

    [Fact]
    public void FadtDescribesThePmBlocksAtTheirSpecOffsets()
    {
        var all = ReadAll(_memory, AcpiTableBuilder.Write(_memory, 1, 1));
        var f = all["FACP"].Bytes;
        Assert.Equal(276, f.Length);
        Assert.Equal(6, f[8]);                                  // revision
        Assert.Equal((uint)all["FACS"].Address, U32(f, 36));
        Assert.Equal((uint)all["DSDT"].Address, U32(f, 40));
        Assert.Equal(AcpiPorts.SciIrq, U16(f, 46));
        Assert.Equal(0u, U32(f, 48));                           // SMI_CMD: no ACPI mode switch
        Assert.Equal(0x600u, U32(f, 56));
        Assert.Equal(0x604u, U32(f, 64));
        Assert.Equal(0x608u, U32(f, 76));
        Assert.Equal(4, f[88]);
        Assert.Equal(2, f[89]);
        Assert.Equal(4, f[91]);
        // IAPC_BOOT_ARCH: legacy devices and no VGA; no 8042 announced, so Linux does not probe the reset-only i8042
        Assert.Equal(Fadt.LegacyDevices | Fadt.VgaNotPresent, U16(f, 109));
        Assert.Equal(0, U16(f, 109) & Fadt.Has8042);
        uint flags = U32(f, 112);
        Assert.True((flags & (1u << 10)) != 0, $"RESET_REG_SUP missing in flags 0x{flags:x}");
        Assert.True((flags & (1u << 20)) == 0, "must not be hardware-reduced");
        // RESET_REG: system I/O, 8 bits, port 0xcf9; value 6.
        Assert.Equal(1, f[116]);
        Assert.Equal(8, f[117]);
        Assert.Equal(0xcf9UL, U64(f, 120));
        Assert.Equal(0x06, f[128]);
        Assert.Equal(all["DSDT"].Address, U64(f, 140));
        AssertIoGas(f, 148, 0x600, 32);                         // X_PM1a_EVT_BLK
        AssertIoGas(f, 172, 0x604, 16);                         // X_PM1a_CNT_BLK
        AssertIoGas(f, 208, 0x608, 32);                         // X_PM_TMR_BLK
    }

    private static void AssertIoGas(byte[] f, int offset, ulong port, int bits)
    {
        Assert.Equal(1, f[offset]);
        Assert.Equal(bits, f[offset + 1]);
        Assert.Equal(port, U64(f, offset + 4));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 8)]
    [InlineData(255, 255)]
    public void MadtHasOneLocalApicPerPossibleVcpu(int vcpus, int maxVcpus)
    {
        var m = ReadAll(_memory, AcpiTableBuilder.Write(_memory, vcpus, maxVcpus))["APIC"].Bytes;
        Assert.Equal(0xfee00000u, U32(m, 36));
        Assert.Equal(1u, U32(m, 40) & 1);                       // PCAT_COMPAT
        int lapics = 0, enabled = 0, ioapics = 0, overrides = 0, nmis = 0;
        for (int at = 44; at < m.Length;)
        {
            byte type = m[at], len = m[at + 1];
            Assert.True(len >= 2 && at + len <= m.Length, $"MADT entry at {at} has bad length {len}");
            switch (type)
            {
                case 0:
                    Assert.Equal(lapics, m[at + 3]);            // APIC id = vCPU index
                    uint flags = U32(m, at + 4);
                    if ((flags & 1) != 0) enabled++;
                    else Assert.Equal(2u, flags);              // online capable
                    lapics++;
                    break;
                case 1:
                    Assert.Equal(0xfec00000u, U32(m, at + 4));
                    Assert.Equal(0u, U32(m, at + 8));
                    ioapics++;
                    break;
                case 2:
                    overrides++;
                    if (m[at + 3] == 0) Assert.Equal(2u, U32(m, at + 4));
                    else
                    {
                        Assert.Equal(9, m[at + 3]);
                        Assert.Equal(9u, U32(m, at + 4));
                        Assert.Equal(0x0d, U16(m, at + 8));     // level, active high
                    }
                    break;
                case 4:
                    Assert.Equal(1, m[at + 5]);                 // LINT1
                    nmis++;
                    break;
                default:
                    Assert.Fail($"unexpected MADT entry type {type}");
                    break;
            }
            at += len;
        }
        Assert.Equal(maxVcpus, lapics);
        Assert.Equal(vcpus, enabled);
        Assert.Equal(1, ioapics);
        Assert.Equal(2, overrides);
        Assert.Equal(1, nmis);
    }

    [Fact]
    public void McfgCoversTheEcamWindow()
    {
        var m = ReadAll(_memory, AcpiTableBuilder.Write(_memory, 1, 1))["MCFG"].Bytes;
        Assert.Equal(60, m.Length);
        Assert.Equal(X86Layout.PciEcamBase, U64(m, 44));
        Assert.Equal(0, U16(m, 52));
        Assert.Equal(0, m[54]);
        Assert.Equal(0, m[55]); // the root bus only: Linux probes every bus up to the end bus at boot
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 256)]
    public void RejectsImpossibleVcpuCounts(int vcpus, int maxVcpus)
        => Assert.Throws<ArgumentOutOfRangeException>(() => AcpiTableBuilder.Write(_memory, vcpus, maxVcpus));

    [Fact]
    public void DsdtHoldsS5AndTheLegacyDevices()
    {
        var d = ReadAll(_memory, AcpiTableBuilder.Write(_memory, 1, 1))["DSDT"].Bytes;
        // Name(\_S5_, Package(4){5, 5, 0, 0})
        byte[] s5 = [0x08, 0x5c, (byte)'_', (byte)'S', (byte)'5', (byte)'_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00];
        Assert.True(d.AsSpan().IndexOf(s5) >= 36, "\\_S5_ package not found in the DSDT");
        Assert.True(d.AsSpan().IndexOf("QEMU0001"u8) > 0, "pvpanic _HID missing");
        // IO(Decode16, 0x505, 0x505, 1, 1)
        Assert.True(d.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01, 0x01]) > 0, "pvpanic IO resource missing");
        // EisaId("PNP0501") and IO(Decode16, 0x3f8, 0x3f8, 1, 8) + IRQNoFlags(){4}
        Assert.True(d.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x0c, 0x41, 0xd0, 0x05, 0x01]) > 0, "PNP0501 missing");
        Assert.True(d.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00]) > 0, "COM1 resources missing");
        Assert.True(d.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x0c, 0x41, 0xd0, 0x0b, 0x00]) > 0, "PNP0B00 missing");
    }
}
