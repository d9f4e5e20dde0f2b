using System.Buffers.Binary;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.State;

public sealed class MachineStateCodecTests
{
    [Fact]
    public void VcpusInOrderAndThePlatformRoundTrip()
    {
        var a = StateSamples.Vcpu();
        var b = new VcpuState { TscKhz = 7 };
        var bytes = MachineStateCodec.Encode(new MachineState([a, b], StateSamples.Platform()));
        var decoded = MachineStateCodec.Decode(bytes);
        Assert.Equal(2, decoded.Vcpus.Count);
        Assert.Equal(VcpuStateCodec.Encode(a), VcpuStateCodec.Encode(decoded.Vcpus[0]));
        Assert.Equal(7u, decoded.Vcpus[1].TscKhz);
        Assert.Equal(StateSamples.Platform().ClockNs, decoded.Platform.ClockNs);
        Assert.Equal(bytes, MachineStateCodec.Encode(decoded));
    }

    [Fact]
    public void AnErrorInsideAVcpuRecordSaysWhichVcpu()
    {
        var bytes = MachineStateCodec.Encode(new MachineState([new VcpuState(), new VcpuState()], new PlatformState()));
        int second = 12 + 4 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)) + 4; // header, count, first blob, second length
        bytes[second] = (byte)'Y'; // break the second record's magic
        var e = Assert.Throws<StateFormatException>(() => MachineStateCodec.Decode(bytes));
        Assert.Contains("vcpus[1]", e.Message);
        Assert.Contains("'magic'", e.Message);
    }

    [Fact]
    public void ZeroOrAbsurdlyManyVcpusAreRefused()
    {
        var bytes = MachineStateCodec.Encode(new MachineState([new VcpuState()], new PlatformState()));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0);
        Assert.Contains("'vcpus.count'", Assert.Throws<StateFormatException>(() => MachineStateCodec.Decode(bytes)).Message);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), uint.MaxValue);
        Assert.Contains("exceeds", Assert.Throws<StateFormatException>(() => MachineStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AnEmbeddedRecordLongerThanWhatIsLeftIsRefused()
    {
        var bytes = MachineStateCodec.Encode(new MachineState([new VcpuState()], new PlatformState()));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), 1_000_000);
        Assert.Contains("truncated", Assert.Throws<StateFormatException>(() => MachineStateCodec.Decode(bytes)).Message);
    }
}
