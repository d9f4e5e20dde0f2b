namespace Xenon.Toolstack.Commands;

/// <summary>A read-only pass-through that keeps a copy of what was read until <see cref="Recorded"/> is taken: the
/// receiver reads the stream's header and configuration to register the domain, then hands those same bytes, followed
/// by the rest, to the domain process, which reads and checks the whole stream from its first byte.</summary>
internal sealed class MigrateRecordingStream(Stream inner) : Stream
{
    private readonly MemoryStream _copy = new();

    public byte[] Recorded => _copy.ToArray();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _copy.Length; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _copy.Write(buffer[..n]);
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
