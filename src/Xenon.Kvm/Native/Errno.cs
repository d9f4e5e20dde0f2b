namespace Xenon.Kvm.Native;

internal static class Errno
{
    internal const int EINTR = 4, EAGAIN = 11, E2BIG = 7, EINVAL = 22, ENOMEM = 12, ENOENT = 2, EACCES = 13, EPERM = 1;
}
