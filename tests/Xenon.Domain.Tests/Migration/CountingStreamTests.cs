using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

public sealed class CountingStreamTests
{
    /// <summary>Records each Write and Flush it receives, so a test can see how many writes the bytes took.</summary>
    private sealed class WriteLog : Stream
    {
        public List<byte[]> Writes { get; } = [];
        public int Flushes { get; private set; }
        public bool FailWrites { get; set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (FailWrites) throw new IOException("connection reset");
            Writes.Add(buffer.ToArray());
        }

        public override void Flush() => Flushes++;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void WritesPassThroughAndAreCounted()
    {
        var log = new WriteLog();
        using var counted = new CountingStream(log);
        counted.Write([1, 2, 3]);
        counted.Flush();
        Assert.Equal(3, counted.Written);
        Assert.Equal([1, 2, 3], Assert.Single(log.Writes));
        Assert.Equal(1, log.Flushes);
    }

    [Fact]
    public void HeldWritesAndTheTrailerLeaveInOneWrite()
    {
        var log = new WriteLog();
        using var counted = new CountingStream(log);
        counted.Write([1]);
        counted.Hold(16);
        counted.Write([2, 3]);
        counted.Flush();
        counted.Write([4]);
        Assert.Single(log.Writes);
        Assert.Equal(0, log.Flushes);
        Assert.False(counted.TrailerWritten);

        counted.Release([9, 9]);
        Assert.Equal(2, log.Writes.Count);
        Assert.Equal([2, 3, 4, 9, 9], log.Writes[1]);
        Assert.Equal(1, log.Flushes);
        // The trailer is not part of the stream the count measures.
        Assert.Equal(4, counted.Written);
        Assert.True(counted.TrailerWritten);

        counted.Write([5]);
        Assert.Equal([5], log.Writes[2]);
    }

    [Fact]
    public void HeldWritesBeyondTheCapacityGrowTheBuffer()
    {
        var log = new WriteLog();
        using var counted = new CountingStream(log);
        counted.Hold(4);
        var big = new byte[10_000];
        for (int i = 0; i < big.Length; i++) big[i] = (byte)i;
        counted.Write(big.AsSpan(0, 3));
        counted.Write(big.AsSpan(3));
        counted.Release([0xee]);
        var all = Assert.Single(log.Writes);
        Assert.Equal(big.Length + 1, all.Length);
        Assert.Equal(big, all[..big.Length]);
        Assert.Equal(0xee, all[^1]);
        Assert.Equal(big.Length, counted.Written);
    }

    [Fact]
    public void AFailedReleaseWriteHasNotWrittenTheTrailer()
    {
        var log = new WriteLog { FailWrites = true };
        using var counted = new CountingStream(log);
        counted.Hold(8);
        counted.Write([1, 2]);
        Assert.Throws<IOException>(() => counted.Release([3]));
        Assert.False(counted.TrailerWritten);
    }

    [Fact]
    public void ReleaseWithoutHoldAndASecondHoldAreRefused()
    {
        using var counted = new CountingStream(new WriteLog());
        Assert.Throws<InvalidOperationException>(() => counted.Release([1]));
        counted.Hold(8);
        Assert.Throws<InvalidOperationException>(() => counted.Hold(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountingStream(new WriteLog()).Hold(-1));
    }
}
