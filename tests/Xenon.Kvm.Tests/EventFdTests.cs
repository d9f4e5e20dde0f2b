namespace Xenon.Kvm.Tests;

public sealed class EventFdTests
{
    [Fact]
    public void SignalsAddUpAndReadResetsTheCounter()
    {
        using var fd = EventFd.Create();
        Assert.False(fd.TryRead(out ulong none));
        Assert.Equal(0ul, none);

        fd.Signal();
        fd.Signal(41);
        Assert.True(fd.TryRead(out ulong value));
        Assert.Equal(42ul, value);
        Assert.False(fd.TryRead(out _));
    }

    [Fact]
    public void InitialValueIsReadable()
    {
        using var fd = EventFd.Create(initialValue: 7);
        Assert.True(fd.TryRead(out ulong value));
        Assert.Equal(7ul, value);
    }

    [Fact]
    public void UsingADisposedEventFdThrowsInsteadOfTouchingAReusedDescriptor()
    {
        var fd = EventFd.Create();
        fd.Dispose();
        Assert.Throws<ObjectDisposedException>(() => fd.Signal());
    }
}
