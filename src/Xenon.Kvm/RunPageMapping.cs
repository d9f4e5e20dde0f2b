using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>The mmap of a vCPU fd (struct kvm_run and what follows), unmapped once on release.</summary>
internal sealed class RunPageMapping : SafeHandleMinusOneIsInvalid
{
    private RunPageMapping(nint address, int size) : base(ownsHandle: true)
    {
        SetHandle(address);
        Size = size;
    }

    public int Size { get; }

    public nint Address => handle;

    public static RunPageMapping Map(FileDescriptor vcpuFd, int size)
    {
        bool added = false;
        try
        {
            vcpuFd.DangerousAddRef(ref added);
            nint address = Libc.mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, vcpuFd.Number, 0);
            if (address == Libc.MAP_FAILED) throw KvmException.FromLastError("mmap(vcpu fd)");
            return new RunPageMapping(address, size);
        }
        finally
        {
            if (added) vcpuFd.DangerousRelease();
        }
    }

    protected override bool ReleaseHandle() => Libc.munmap(handle, (nuint)Size) == 0;
}
