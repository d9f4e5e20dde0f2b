using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>An owned Linux file descriptor (a KVM system, VM or vCPU fd, an eventfd), closed once on dispose.</summary>
public sealed class FileDescriptor : SafeHandleMinusOneIsInvalid
{
    internal FileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The raw number, for passing to another kernel interface (e.g. an irqfd registration).
    /// Valid only while this object is alive.</summary>
    public int Number => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
