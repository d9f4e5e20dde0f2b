using System.Buffers;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class FramerTests
{
    private static byte[] Frame(XsMessageType type, uint req, uint tx, byte[] payload)
    {
        var bytes = new byte[XsHeader.Size + payload.Length];
        XsFramer.WriteFrame(bytes, type, req, tx, payload);
        return bytes;
    }

    [Fact]
    public void Header_IsLittleEndianInXsWireOrder()
    {
        var bytes = new byte[16];
        new XsHeader(XsMessageType.Write, 0x01020304, 7, 0x10).Write(bytes);
        Assert.Equal(new byte[] { 11, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 0x10, 0, 0, 0 }, bytes);
        Assert.Equal(new XsHeader(XsMessageType.Write, 0x01020304, 7, 0x10), XsHeader.Read(bytes));
    }

    [Fact]
    public void MessageTypeNumbers_MatchXsWire()
    {
        Assert.Equal(0u, (uint)XsMessageType.Control);
        Assert.Equal(15u, (uint)XsMessageType.WatchEvent);
        Assert.Equal(19u, (uint)XsMessageType.SetTarget);
        Assert.Equal(21u, (uint)XsMessageType.ResetWatches);
        Assert.Equal(22u, (uint)XsMessageType.DirectoryPart);
    }

    [Fact]
    public void ErrorStrings_AreXsdErrorsNames()
    {
        Assert.Equal("EINVAL\0"u8.ToArray(), XsErrors.Payload(XsError.EINVAL).ToArray());
        Assert.Equal("EAGAIN\0"u8.ToArray(), XsErrors.Payload(XsError.EAGAIN).ToArray());
        Assert.Equal("E2BIG\0"u8.ToArray(), XsErrors.Payload(XsError.E2BIG).ToArray());
        Assert.Equal("EINVAL\0"u8.ToArray(), XsErrors.Payload((XsError)999).ToArray());
        Assert.True(XsErrors.TryParse("ENOENT\0"u8, out var e) && e == XsError.ENOENT);
        Assert.False(XsErrors.TryParse("EWHAT\0"u8, out _));
    }

    [Fact]
    public void SequenceFramer_SplitsBackToBackMessagesAcrossSegments()
    {
        var a = Frame(XsMessageType.Read, 1, 0, "/a\0"u8.ToArray());
        var b = Frame(XsMessageType.Write, 2, 3, "/b\0xyz"u8.ToArray());
        var all = a.Concat(b).ToArray();
        // Cut the data into 1-byte segments to exercise every boundary.
        var sequence = Segments.Create(all.Select(x => new[] { x }).ToArray());

        Assert.Equal(XsFrameStatus.Complete, XsFramer.TryReadFrame(ref sequence, out var h1, out var p1));
        Assert.Equal(new XsHeader(XsMessageType.Read, 1, 0, 3), h1);
        Assert.Equal("/a\0"u8.ToArray(), p1.ToArray());
        Assert.Equal(XsFrameStatus.Complete, XsFramer.TryReadFrame(ref sequence, out var h2, out var p2));
        Assert.Equal(3u, h2.TransactionId);
        Assert.Equal("/b\0xyz"u8.ToArray(), p2.ToArray());
        Assert.Equal(0, sequence.Length);
        Assert.Equal(XsFrameStatus.NeedMoreData, XsFramer.TryReadFrame(ref sequence, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(20)]
    public void TruncatedInput_NeedsMoreData_AndConsumesNothing(int length)
    {
        var full = Frame(XsMessageType.Read, 1, 0, "/abcdefgh\0"u8.ToArray());
        var sequence = new ReadOnlySequence<byte>(full.AsMemory(0, length));
        Assert.Equal(XsFrameStatus.NeedMoreData, XsFramer.TryReadFrame(ref sequence, out _, out _));
        Assert.Equal(length, sequence.Length);
        Assert.Equal(XsFrameStatus.NeedMoreData, XsFramer.TryReadFrame(full.AsSpan(0, length), out _, out var consumed));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData(4096u, XsFrameStatus.NeedMoreData)]
    [InlineData(4097u, XsFrameStatus.PayloadTooLarge)]
    [InlineData(uint.MaxValue, XsFrameStatus.PayloadTooLarge)]
    public void LengthField_AboveXenstorePayloadMax_IsRejectedFromTheHeaderAlone(uint length, XsFrameStatus expected)
    {
        var header = new byte[16];
        new XsHeader(XsMessageType.Write, 1, 0, length).Write(header);
        var sequence = new ReadOnlySequence<byte>(header);
        Assert.Equal(expected, XsFramer.TryReadFrame(ref sequence, out var parsed, out _));
        Assert.Equal(length, parsed.Length);
        Assert.Equal(expected, XsFramer.TryReadFrame(header, out _, out _));
    }

    [Fact]
    public void MaximumPayload_IsAccepted()
    {
        var frame = Frame(XsMessageType.Write, 1, 0, new byte[4096]);
        Assert.Equal(XsFrameStatus.Complete, XsFramer.TryReadFrame(frame, out var header, out var consumed));
        Assert.Equal(4096u, header.Length);
        Assert.Equal(frame.Length, consumed);
        Assert.Throws<ArgumentException>(() => XsFramer.WriteFrame(new byte[5000], XsMessageType.Write, 1, 0, new byte[4097]));
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var data = new byte[random.Next(0, 64)];
            random.NextBytes(data);
            var sequence = new ReadOnlySequence<byte>(data);
            var status = XsFramer.TryReadFrame(ref sequence, out var header, out var payload);
            if (status == XsFrameStatus.Complete)
            {
                Assert.Equal(header.Length, (uint)payload.Length);
            }
        }
    }

    [Fact]
    public void PayloadHelpers_FollowCStringRules()
    {
        Assert.True(XsPayload.TryOneArg("/a\0"u8, out var arg) && arg.SequenceEqual("/a"u8));
        Assert.False(XsPayload.TryOneArg("/a"u8, out _));
        Assert.False(XsPayload.TryOneArg("/a\0b\0"u8, out _));
        Assert.False(XsPayload.TryOneArg(""u8, out _));
        Span<Range> ranges = stackalloc Range[2];
        Assert.Equal(3, XsPayload.GetStrings("a\0bb\0c\0tail"u8, ranges));
        Assert.Equal("bb", System.Text.Encoding.ASCII.GetString("a\0bb\0c\0tail"u8[ranges[1]]));
        Assert.Equal(3, XsPayload.CountStrings("a\0\0b\0"u8));
        Assert.True(XsPayload.TryParseUInt("65535"u8, 65535, out var v) && v == 65535);
        Assert.False(XsPayload.TryParseUInt("65536"u8, 65535, out _));
        Assert.False(XsPayload.TryParseUInt("-1"u8, 65535, out _));
        Assert.False(XsPayload.TryParseUInt(""u8, 65535, out _));
        Assert.False(XsPayload.TryParseULong("99999999999999999999"u8, out _));
    }

    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Create(byte[][] parts)
        {
            var first = new Segments(parts[0], 0);
            var last = first;
            for (var i = 1; i < parts.Length; i++)
            {
                var next = new Segments(parts[i], last.RunningIndex + last.Memory.Length);
                last.Next = next;
                last = next;
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
