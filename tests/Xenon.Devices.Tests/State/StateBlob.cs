using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Tests.State;

/// <summary>Helpers for state blobs: save to bytes, and every way to damage one.</summary>
internal static class StateBlob
{
    public static byte[] Save(IStateful device)
    {
        var buffer = new ArrayBufferWriter<byte>();
        int written = device.SaveState(buffer);
        Assert.Equal(buffer.WrittenCount, written);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Every truncation, every byte replaced by 0x00, 0xff and its bit-flips (all bytes for small blobs, a seeded
    /// sample for large ones), and a few insertions. Each variant is a different byte string from the original.
    /// </summary>
    public static IEnumerable<byte[]> Corruptions(byte[] blob, int seed = 1, int maxPositions = 600)
    {
        for (int length = 0; length < blob.Length; length++) yield return blob[..length];
        var random = new Random(seed);
        IEnumerable<int> positions = blob.Length <= maxPositions
            ? Enumerable.Range(0, blob.Length)
            : Enumerable.Range(0, maxPositions).Select(_ => random.Next(blob.Length));
        foreach (int at in positions)
        {
            foreach (byte value in new byte[] { 0x00, 0xff, (byte)(blob[at] ^ 0x01), (byte)(blob[at] ^ 0x80), (byte)random.Next(256) })
            {
                if (value == blob[at]) continue;
                var copy = (byte[])blob.Clone();
                copy[at] = value;
                yield return copy;
            }
        }
        yield return [.. blob, 0];
        yield return [0, .. blob];
    }

    /// <summary>Restores every corruption of <paramref name="blob"/> into a fresh device: each is taken or refused with
    /// <see cref="DeviceStateException"/>, never another exception. Returns how many were refused.</summary>
    public static int AssertOnlyCleanFailures(byte[] blob, Func<IStateful> fresh, int seed = 1)
    {
        int refused = 0;
        foreach (var bad in Corruptions(blob, seed))
        {
            var device = fresh();
            try
            {
                device.RestoreState(bad);
            }
            catch (DeviceStateException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"restoring a corrupt blob ({Convert.ToHexString(bad)}) threw {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                (device as IDisposable)?.Dispose();
            }
        }
        return refused;
    }
}
