namespace Xenon.Domain.Migration;

/// <summary>A read-only stream that yields <paramref name="prefix"/> and then what <paramref name="rest"/> yields: the
/// bytes <c>migrate-receive</c> read to register the domain, followed by the rest of the sender's stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
{
    private int _taken;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_taken < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - _taken);
            prefix.AsSpan(_taken, n).CopyTo(buffer);
            _taken += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) rest.Dispose();
        base.Dispose(disposing);
    }
}
