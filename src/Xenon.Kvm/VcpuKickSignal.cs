using System.Runtime.InteropServices;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// The signal that interrupts a vCPU thread's KVM_RUN: SIGRTMIN+1, which neither glibc nor the .NET
/// runtime uses. Delivering a signal without a handler would kill the process, so a handler is
/// installed once, through the runtime (its native handler only writes a pipe; cancelling stops the
/// runtime from re-raising it). KVM_RUN then returns EINTR because a signal is pending.
/// </summary>
public static class VcpuKickSignal
{
    private static readonly Lock Gate = new();
    private static PosixSignalRegistration? _registration;
    private static int _number;

    /// <summary>The signal number (SIGRTMIN+1 as glibc reports it at run time).</summary>
    public static int Number
    {
        get
        {
            EnsureInstalled();
            return _number;
        }
    }

    /// <summary>True once the handler is installed.</summary>
    public static bool IsInstalled => Volatile.Read(ref _registration) is not null;

    /// <summary>Installs the process-wide handler if not yet done. Idempotent and thread-safe.</summary>
    public static void EnsureInstalled()
    {
        if (Volatile.Read(ref _number) != 0) return;
        lock (Gate)
        {
            if (_number != 0) return;
            int signal = Libc.__libc_current_sigrtmin() + 1;
            Volatile.Write(ref _registration, PosixSignalRegistration.Create((PosixSignal)signal, static ctx => ctx.Cancel = true));
            Volatile.Write(ref _number, signal);
        }
    }

    /// <summary>Sends the kick signal to a thread captured with <see cref="CurrentThreadId"/>.</summary>
    /// <returns>0, or the error number pthread_kill returned (ESRCH if the thread is gone).</returns>
    public static int Send(nuint threadId) => Libc.pthread_kill(threadId, Number);

    /// <summary>pthread_self() of the calling thread.</summary>
    public static nuint CurrentThreadId() => Libc.pthread_self();
}
