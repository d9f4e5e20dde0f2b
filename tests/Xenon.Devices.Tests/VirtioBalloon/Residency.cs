using System.Runtime.InteropServices;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioBalloon;

/// <summary>How many pages of a guest range are resident on the host (mincore): the balloon's effect on RSS,
/// measured on the range itself so tests running in parallel do not disturb it.</summary>
internal static partial class Residency
{
    public const ulong Page = 4096;

    public static unsafe ulong ResidentPages(GuestMemory memory, ulong gpa, ulong length)
    {
        Assert.True(memory.TryTranslate(gpa, length, out nint host));
        var vector = new byte[length / Page];
        fixed (byte* v = vector)
            Assert.Equal(0, mincore(host, (nuint)length, v));
        ulong resident = 0;
        foreach (byte b in vector) resident += (ulong)(b & 1);
        return resident;
    }

    /// <summary>Writes a non-zero pattern over every page of the range.</summary>
    public static void Touch(GuestMemory memory, ulong gpa, ulong length)
    {
        var page = new byte[Page];
        for (ulong at = gpa; at < gpa + length; at += Page)
        {
            page.AsSpan().Fill(Pattern(at));
            memory.Write(at, page);
        }
    }

    public static byte Pattern(ulong gpa) => (byte)(gpa / Page % 251 + 1);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int mincore(nint address, nuint length, byte* vector);
}
