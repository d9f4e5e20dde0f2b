using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    /// <summary>glibc's struct termios is 60 bytes on x86-64; treated as opaque and changed only through cfmakeraw.</summary>
    internal const int TermiosSize = 60;
    internal const int TCSANOW = 0;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc")]
    internal static partial void cfmakeraw(byte* termios);

    [LibraryImport("libc")]
    internal static partial int isatty(int fd);
}
