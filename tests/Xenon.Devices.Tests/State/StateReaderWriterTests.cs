using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Tests.State;

public sealed class StateReaderWriterTests
{
    private static byte[] Blob(string kind, ushort version, Action<StateWriterActions> fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = StateWriter.Begin(buffer, kind, version);
        var actions = new StateWriterActions();
        fields(actions);
        foreach (var a in actions.Steps) a(ref w);
        return buffer.WrittenSpan.ToArray();
    }

    internal delegate void Step(ref StateWriter w);

    internal sealed class StateWriterActions
    {
        public List<Step> Steps { get; } = [];
        public void U8(byte v) => Steps.Add((ref StateWriter w) => w.U8(v));
        public void U32(uint v) => Steps.Add((ref StateWriter w) => w.U32(v));
        public void Blob(byte[] v) => Steps.Add((ref StateWriter w) => w.Blob(v));
    }

    [Fact]
    public void FieldsRoundTripAndTheBlobMustEndAfterTheLast()
    {
        var blob = Blob("demo", 1, f => { f.U8(7); f.U32(0xdeadbeef); f.Blob([1, 2, 3]); });
        var r = StateReader.Open(blob, "demo", 1);
        Assert.Equal(1, r.Version);
        Assert.Equal(7, r.U8("a"));
        Assert.Equal(0xdeadbeefu, r.U32("b"));
        Assert.Equal([1, 2, 3], r.Blob("c", 16).ToArray());
        r.End();
    }

    [Fact]
    public void AnotherKindIsRefusedByName()
    {
        var blob = Blob("serial16550", 1, _ => { });
        var e = Assert.Throws<DeviceStateException>(() => StateReader.Open(blob, "i8042", 1));
        Assert.Contains("'serial16550', not 'i8042'", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void UnknownVersionsAreRefused(ushort version)
    {
        var blob = Blob("demo", version, _ => { });
        var e = Assert.Throws<DeviceStateException>(() => StateReader.Open(blob, "demo", 1));
        Assert.Contains($"layout version {version}", e.Message);
    }

    [Fact]
    public void TruncationNamesTheFieldAndOffset()
    {
        var blob = Blob("demo", 1, f => f.U8(1));
        var e = Assert.Throws<DeviceStateException>(() =>
        {
            var r = StateReader.Open(blob, "demo", 1);
            r.U8("first");
            r.U32("second");
        });
        Assert.Contains("'second'", e.Message);
        Assert.Contains("offset 8", e.Message);
    }

    [Fact]
    public void TrailingBytesBooleansOtherThanZeroOrOneAndLongBlobsAreRefused()
    {
        var blob = Blob("demo", 1, f => { f.U8(2); f.Blob(new byte[10]); f.U8(0); });
        Assert.Throws<DeviceStateException>(() => StateReader.Open(blob, "demo", 1).Bool("flag"));
        Assert.Throws<DeviceStateException>(() =>
        {
            var r = StateReader.Open(blob, "demo", 1);
            r.U8("x");
            r.Blob("data", 9);
        });
        Assert.Throws<DeviceStateException>(() =>
        {
            var r = StateReader.Open(blob, "demo", 1);
            r.U8("x");
            r.Blob("data", 10);
            r.End();
        });
    }

    [Fact]
    public void KindsMustBeShortAscii()
    {
        Assert.Throws<ArgumentException>(() => StateWriter.Begin(new ArrayBufferWriter<byte>(), "", 1));
        Assert.Throws<ArgumentException>(() => StateWriter.Begin(new ArrayBufferWriter<byte>(), new string('k', 33), 1));
        Assert.Throws<ArgumentException>(() => StateWriter.Begin(new ArrayBufferWriter<byte>(), "sérial", 1));
    }
}
