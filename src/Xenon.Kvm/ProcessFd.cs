using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// Takes a duplicate of another process's file descriptor (pidfd_open + pidfd_getfd, Linux 5.6): how a domain process
/// migrating in reads the sender's connection itself instead of through <c>migrate-receive</c>'s relay. The caller
/// needs ptrace rights over that process (root, or its parent under Yama's default); otherwise this throws and the
/// caller falls back to the relay.
/// </summary>
public static class ProcessFd
{
    /// <summary>Process <paramref name="pid"/>'s descriptor <paramref name="fd"/>, which must be a socket, as a socket of ours.</summary>
    /// <exception cref="KvmException">The process or descriptor is gone, or the rights are missing (the errno says).</exception>
    public static Socket TakeSocket(int pid, int fd) => new(new SafeSocketHandle((nint)Take(pid, fd), ownsHandle: true));

    /// <summary>Process <paramref name="pid"/>'s descriptor <paramref name="fd"/> (a pipe, a file) as a handle of ours.</summary>
    /// <exception cref="KvmException">The process or descriptor is gone, or the rights are missing (the errno says).</exception>
    public static SafeFileHandle TakeFile(int pid, int fd) => new((nint)Take(pid, fd), ownsHandle: true);

    private static int Take(int pid, int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        long pidfd = Libc.syscall3(Libc.SYS_pidfd_open, pid, 0, 0);
        if (pidfd < 0) throw KvmException.FromLastError("pidfd_open");
        try
        {
            // The duplicate is close-on-exec, as pidfd_getfd always makes it.
            long taken = Libc.syscall3(Libc.SYS_pidfd_getfd, pidfd, fd, 0);
            if (taken < 0) throw KvmException.FromLastError("pidfd_getfd");
            return (int)taken;
        }
        finally
        {
            Libc.close((int)pidfd);
        }
    }
}
