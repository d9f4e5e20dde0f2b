using System.Buffers.Binary;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.State;

public sealed class VcpuStateCodecTests
{
    [Fact]
    public void EveryFieldSurvivesARoundTrip()
    {
        var original = StateSamples.Vcpu();
        var bytes = VcpuStateCodec.Encode(original);
        var decoded = VcpuStateCodec.Decode(bytes);

        Assert.Equal(original.Cpuid, decoded.Cpuid);
        Assert.Equal(original.Registers, decoded.Registers);
        Assert.Equal(original.SpecialRegisters, decoded.SpecialRegisters);
        Assert.Equal(original.PendingInterrupts, decoded.PendingInterrupts);
        Assert.Equal(original.Fpu.Registers, decoded.Fpu.Registers);
        Assert.Equal(original.Fpu.Xmm, decoded.Fpu.Xmm);
        Assert.Equal((original.Fpu.Fcw, original.Fpu.Fsw, original.Fpu.Ftw, original.Fpu.LastOpcode, original.Fpu.LastIp, original.Fpu.LastDp, original.Fpu.Mxcsr),
            (decoded.Fpu.Fcw, decoded.Fpu.Fsw, decoded.Fpu.Ftw, decoded.Fpu.LastOpcode, decoded.Fpu.LastIp, decoded.Fpu.LastDp, decoded.Fpu.Mxcsr));
        Assert.Equal(original.Xsave, decoded.Xsave);
        Assert.Equal(original.Xcrs, decoded.Xcrs);
        Assert.Equal(original.Msrs, decoded.Msrs);
        Assert.Equal(original.Lapic, decoded.Lapic);
        Assert.Equal(original.Events, decoded.Events);
        Assert.Equal(original.DebugRegisters, decoded.DebugRegisters);
        Assert.Equal(original.RunState, decoded.RunState);
        Assert.Equal(original.TscKhz, decoded.TscKhz);
        Assert.Equal(bytes, VcpuStateCodec.Encode(decoded));
    }

    [Fact]
    public void ADefaultStateWithoutXsaveRoundTrips()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        var decoded = VcpuStateCodec.Decode(bytes);
        Assert.Empty(decoded.Xsave);
        Assert.Empty(decoded.Msrs);
        Assert.Equal(VcpuRunState.Runnable, decoded.RunState);
        Assert.Equal(bytes, VcpuStateCodec.Encode(decoded));
    }

    [Fact]
    public void TheRecordStartsWithMagicAndVersion()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        Assert.Equal("XVCS"u8.ToArray(), bytes[..4]);
        Assert.Equal(VcpuStateCodec.Version, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
    }

    [Fact]
    public void EveryTruncationIsRefusedWithTheFieldItStoppedIn()
    {
        var bytes = VcpuStateCodec.Encode(StateSamples.Vcpu());
        for (int length = 0; length < bytes.Length; length++)
        {
            var e = Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes.AsSpan(0, length)));
            Assert.Contains("truncated", e.Message);
            Assert.Contains("field '", e.Message);
        }
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        var e = Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode([.. bytes, 0]));
        Assert.Contains("1 trailing bytes", e.Message);
    }

    [Fact]
    public void AWrongMagicIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        var e = Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes));
        Assert.Contains("'magic'", e.Message);
    }

    [Fact]
    public void AnotherVersionIsRefusedByName()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 2);
        var e = Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes));
        Assert.Contains("'version'", e.Message);
        Assert.Contains("is 2", e.Message);
    }

    [Fact]
    public void ANonZeroReservedWordIsRefused()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        bytes[6] = 1;
        Assert.Contains("'reserved'", Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AnAbsurdCpuidCountIsRefusedBeforeAllocating()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0x7fff_ffff);
        var e = Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes));
        Assert.Contains("'cpuid.count'", e.Message);
        Assert.Contains("exceeds", e.Message);
    }

    [Fact]
    public void AnAbsurdMsrCountIsRefused()
    {
        var state = new VcpuState();
        var bytes = VcpuStateCodec.Encode(state);
        int at = MsrCountOffset(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 1_000_000_000);
        Assert.Contains("'msrs.count'", Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AnXsaveLengthOutsideItsBoundsIsRefused()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        int at = XsaveLengthOffset(bytes);
        foreach (uint bad in new uint[] { 4, 511, (1u << 20) + 1, uint.MaxValue })
        {
            var copy = bytes.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), bad);
            var e = Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(copy));
            Assert.Contains("'xsave'", e.Message);
        }
    }

    [Fact]
    public void ALapicPageOfTheWrongSizeIsRefused()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        int at = MsrCountOffset(bytes) + 4; // no MSRs: the LAPIC length follows the count
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 1023);
        Assert.Contains("'lapic'", Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AnUnknownRunStateIsRefused()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), 77);
        Assert.Contains("'run_state'", Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void UnknownSegmentAttributeBitsAreRefused()
    {
        var bytes = VcpuStateCodec.Encode(new VcpuState());
        // header 8, cpuid count 4, 18 registers: cs starts at 156; its attribute byte is its 17th byte
        bytes[8 + 4 + 18 * 8 + 16] = 0x80;
        Assert.Contains("'sregs.cs.attributes'", Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void ANonBooleanCpuidFlagIsRefused()
    {
        var bytes = VcpuStateCodec.Encode(StateSamples.Vcpu());
        bytes[8 + 4 + 8] = 2; // the first entry's "indexed" byte
        Assert.Contains("'cpuid.indexed'", Assert.Throws<StateFormatException>(() => VcpuStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void EncodingRefusesMalformedArrays()
    {
        Assert.Throws<ArgumentException>(() => VcpuStateCodec.Encode(new VcpuState { Lapic = new byte[10] }));
        Assert.Throws<ArgumentException>(() => VcpuStateCodec.Encode(new VcpuState { PendingInterrupts = new ulong[3] }));
    }

    /// <summary>Offsets in an encoding of a state with no CPUID entries.</summary>
    private static int XsaveLengthOffset(byte[] _) => 8 + 4 + 18 * 8 + 8 * 17 + 2 * 10 + 7 * 8 + 4 * 8 + (128 + 2 + 2 + 1 + 2 + 8 + 8 + 256 + 4);

    private static int MsrCountOffset(byte[] bytes)
    {
        int at = XsaveLengthOffset(bytes);
        uint xsave = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
        at += 4 + (int)xsave;
        uint xcrs = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
        return at + 4 + (int)xcrs * 12;
    }
}
