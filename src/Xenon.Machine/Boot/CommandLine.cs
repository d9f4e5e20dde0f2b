using System.Text;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Boot;

/// <summary>Writes the kernel command line, NUL-terminated, at <see cref="BootLayout.CommandLine"/>.</summary>
internal static class CommandLine
{
    /// <param name="kernelLimit">Longest command line the kernel accepts, excluding the NUL.</param>
    public static ulong Write(GuestMemory memory, string commandLine, ulong kernelLimit)
    {
        if (commandLine.Contains('\0'))
            throw new BootException("kernel command line contains a NUL character");
        byte[] bytes = Encoding.UTF8.GetBytes(commandLine);
        ulong limit = Math.Min(kernelLimit, BootLayout.MaxCommandLine - 1);
        if ((ulong)bytes.Length > limit)
            throw new BootException($"kernel command line is {bytes.Length} bytes; the limit is {limit}");
        var span = memory.GetSpan(BootLayout.CommandLine, bytes.Length + 1);
        bytes.CopyTo(span);
        span[^1] = 0;
        return BootLayout.CommandLine;
    }
}
