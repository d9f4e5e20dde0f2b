using Xenon.Kvm;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Xenon.Tests.Shared;

/// <summary>
/// A raw AF_PACKET socket bound to one interface: it sees every frame the interface receives (what a tap's
/// writer injects) and sends frames out of it (what the tap's reader then reads). The far end of a tap in the
/// tests, with its own declarations since only tests need a packet socket. Compiled into each test project that uses it (linked, not copied).
/// </summary>
internal sealed unsafe partial class PacketSocket : IDisposable
{
    private const int AF_PACKET = 17, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
    private const ushort ETH_P_ALL = 0x0003;
    private const short POLLIN = 1;

    private readonly int _fd;

    public PacketSocket(int interfaceIndex)
    {
        ushort protocol = BinaryPrimitives.ReverseEndianness(ETH_P_ALL);
        _fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (_fd < 0) throw new KvmException("socket(AF_PACKET)", Marshal.GetLastPInvokeError());
        // struct sockaddr_ll: family, protocol (big endian), ifindex, hatype, pkttype, halen, addr[8].
        byte* address = stackalloc byte[20];
        new Span<byte>(address, 20).Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(address, 2), AF_PACKET);
        BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(address + 2, 2), ETH_P_ALL);
        BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(address + 4, 4), interfaceIndex);
        if (bind(_fd, address, 20) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            close(_fd);
            throw new KvmException("bind(AF_PACKET)", errno);
        }
    }

    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            if (send(_fd, p, (nuint)frame.Length, 0) != frame.Length) throw new KvmException("send(AF_PACKET)", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Waits for a frame <paramref name="match"/> accepts (skipping others, e.g. the kernel's own traffic); null on timeout.</summary>
    public byte[]? ReceiveMatching(Func<byte[], bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var buffer = new byte[70000];
        while (true)
        {
            int remaining = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
            if (remaining <= 0) return null;
            long pollFd = (uint)_fd | (long)POLLIN << 32; // struct pollfd: int fd, short events, short revents
            int ready = poll(&pollFd, 1, remaining);
            if (ready <= 0) continue;
            nint n;
            fixed (byte* p = buffer) n = recv(_fd, p, (nuint)buffer.Length, 0);
            if (n < 0) throw new KvmException("recv(AF_PACKET)", Marshal.GetLastPInvokeError());
            var frame = buffer.AsSpan(0, (int)n).ToArray();
            if (match(frame)) return frame;
        }
    }

    public void Dispose() => close(_fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(long* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
