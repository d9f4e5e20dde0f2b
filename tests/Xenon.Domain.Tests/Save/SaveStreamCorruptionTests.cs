using Xenon.Domain.Save;

namespace Xenon.Domain.Tests.Save;

/// <summary>A valid stream damaged in many random ways: every variant must be refused with <see cref="SaveFormatException"/>, never another exception.</summary>
public sealed class SaveStreamCorruptionTests
{
    private static byte[] Valid()
    {
        using var memory = GuestMemory();
        return SaveStreams.Complete(memory, w => w.WriteRawRecord(SaveFormat.OptionalRecordBit | 9, "skip me"u8));
    }

    private static Xenon.Machine.Memory.GuestMemory GuestMemory()
    {
        var memory = Xenon.Machine.Memory.GuestMemory.Create([(0, 0x8000), (0x100000, 0x4000)]);
        memory.GetSpan(0x1000, 4096).Fill(0x5a);
        memory.GetSpan(0x100000, 100).Fill(0xa5);
        return memory;
    }

    private static byte[] Mutate(byte[] valid, Random rng)
    {
        switch (rng.Next(7))
        {
            case 0: // flip one bit
            {
                var b = (byte[])valid.Clone();
                int at = rng.Next(b.Length);
                b[at] ^= (byte)(1 << rng.Next(8));
                return b;
            }
            case 1: // overwrite a byte
            {
                var b = (byte[])valid.Clone();
                int at = rng.Next(b.Length);
                byte value;
                do value = (byte)rng.Next(256); while (value == b[at]);
                b[at] = value;
                return b;
            }
            case 2: // truncate
                return valid[..rng.Next(valid.Length)];
            case 3: // insert bytes
            {
                int at = rng.Next(valid.Length + 1);
                var extra = new byte[1 + rng.Next(16)];
                rng.NextBytes(extra);
                return [.. valid[..at], .. extra, .. valid[at..]];
            }
            case 4: // delete a range
            {
                int at = rng.Next(valid.Length);
                int n = 1 + rng.Next(Math.Min(64, valid.Length - at));
                return [.. valid[..at], .. valid[(at + n)..]];
            }
            case 5: // duplicate a range
            {
                int at = rng.Next(valid.Length);
                int n = 1 + rng.Next(Math.Min(200, valid.Length - at));
                return [.. valid[..(at + n)], .. valid[at..(at + n)], .. valid[(at + n)..]];
            }
            default: // scribble over a run
            {
                var b = (byte[])valid.Clone();
                int at = rng.Next(b.Length);
                rng.NextBytes(b.AsSpan(at, Math.Min(b.Length - at, 1 + rng.Next(32))));
                return b;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomDamageAlwaysFailsCleanly(int seed)
    {
        byte[] valid = Valid();
        Assert.NotEmpty(SaveStreams.ReadAll(valid));
        var rng = new Random(seed);
        int refused = 0;
        for (int i = 0; i < 1500; i++)
        {
            byte[] bad = Mutate(valid, rng);
            if (bad.AsSpan().SequenceEqual(valid)) continue;
            try
            {
                using var memory = GuestMemory();
                using var reader = new SaveStreamReader(new MemoryStream(bad));
                while (reader.TryReadRecord(out var r))
                    if (r.Type == SaveRecordType.MemoryPages) r.MemoryPages.ApplyTo(memory);
                reader.ExpectEndOfStream();
                Assert.Fail($"seed {seed} iteration {i}: a damaged stream of {bad.Length} bytes was accepted");
            }
            catch (SaveFormatException)
            {
                refused++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"seed {seed} iteration {i}: {e.GetType().Name} escaped: {e}");
            }
        }
        Assert.True(refused > 1000, $"only {refused} variants were tried");
    }

    [Fact]
    public void EveryTruncationFailsCleanly()
    {
        byte[] valid = Valid();
        for (int length = 0; length < valid.Length; length += 1 + length / 64)
            Assert.Throws<SaveFormatException>(() => SaveStreams.ReadAll(valid[..length]));
    }
}
