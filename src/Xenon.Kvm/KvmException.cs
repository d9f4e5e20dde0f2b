using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Xenon.Kvm;

/// <summary>A KVM ioctl or a supporting libc call failed. <see cref="Call"/> names it; the errno is
/// <see cref="Win32Exception.NativeErrorCode"/> (also <see cref="Errno"/>).</summary>
public sealed class KvmException : Win32Exception
{
    public KvmException(string call, int errno)
        : base(errno, $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Call = call;
    }

    public string Call { get; }

    public int Errno => NativeErrorCode;

    /// <summary>Builds the exception from the errno of the last P/Invoke call.</summary>
    internal static KvmException FromLastError(string call) => new(call, Marshal.GetLastPInvokeError());
}
