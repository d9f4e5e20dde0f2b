using Xenon.Kvm.Native;

namespace Xenon.Kvm.Terminal;

/// <summary>Puts a terminal in raw mode (every key straight to the guest, no local echo) and restores
/// the saved mode when disposed. On a non-terminal fd it does nothing.</summary>
public sealed unsafe class RawTerminalMode : IDisposable
{
    private readonly int _fd;
    private readonly byte[]? _saved;

    private RawTerminalMode(int fd, byte[]? saved)
    {
        _fd = fd;
        _saved = saved;
    }

    public bool IsTerminal => _saved is not null;

    public static bool IsTerminalFd(int fd) => Libc.isatty(fd) == 1;

    public static RawTerminalMode Enter(int fd = 0)
    {
        if (!IsTerminalFd(fd)) return new RawTerminalMode(fd, null);
        var saved = new byte[Libc.TermiosSize + 4];
        var raw = new byte[Libc.TermiosSize + 4];
        fixed (byte* s = saved)
        fixed (byte* r = raw)
        {
            if (Libc.tcgetattr(fd, s) != 0) return new RawTerminalMode(fd, null);
            Buffer.MemoryCopy(s, r, raw.Length, Libc.TermiosSize);
            Libc.cfmakeraw(r);
            if (Libc.tcsetattr(fd, Libc.TCSANOW, r) != 0) return new RawTerminalMode(fd, null);
        }
        return new RawTerminalMode(fd, saved);
    }

    public void Dispose()
    {
        if (_saved is null) return;
        fixed (byte* s = _saved) Libc.tcsetattr(_fd, Libc.TCSANOW, s);
    }
}
