using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Virtio;

/// <summary>
/// Randomized rings, half well-formed and half hostile, against a queue in guest RAM with a hole
/// ([0, 256 KiB) and [512 KiB, 768 KiB)). Every iteration checks: no exception escapes; the
/// queue agrees with <see cref="ReferenceChainWalker"/> on validity and segments; every segment
/// lies inside RAM; a pop writes nothing but avail_event and a completion nothing but its used
/// element and used.idx.
/// </summary>
public sealed class VirtQueueFuzzTests
{
    private const ulong LowEnd = 256 * 1024;
    private const ulong HighStart = 512 * 1024;
    private const ulong HighEnd = 768 * 1024;
    private const ulong Desc = 0x1000, Avail = 0x2000, Used = 0x3000;
    private const ulong IndirectArea = 0x4000, IndirectAreaEnd = 0x8000;
    private const ulong DataStart = 0x8000;
    private const int IterationsPerSeed = 5_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomRingsNeverEscapeGuestMemory(int seed)
    {
        using var memory = GuestMemory.Create([(0, LowEnd), (HighStart, HighEnd - HighStart)]);
        var rng = new Random(seed);
        var before = new byte[LowEnd + (HighEnd - HighStart)];
        var after = new byte[before.Length];
        var stats = new int[4]; // valid popped, hostile popped, chain faults, ring faults

        VirtQueue q = null!;
        SplitRingDriver driver = null!;
        QueueLimits limits = QueueLimits.Default;
        int i = 0;
        string phase = "setup";
        try
        {
            for (; i < IterationsPerSeed; i++)
            {
                if (i % 500 == 0)
                {
                    phase = "configure";
                    memory.GetSpan(0, (int)LowEnd).Clear();
                    memory.GetSpan(HighStart, (int)(HighEnd - HighStart)).Clear();
                    ushort size = (ushort)(1 << rng.Next(9));       // 1..256
                    limits = new QueueLimits { MaxChainBytes = rng.Next(2) == 0 ? uint.MaxValue : (ulong)rng.Next(1, 20000), MaxIndirectDescriptors = rng.Next(1, 600) };
                    driver = new SplitRingDriver(memory, size, Desc, Avail, Used);
                    q = driver.CreateQueue(eventIdx: rng.Next(2) == 0, indirect: rng.Next(4) != 0, limits: limits, maxSize: 256);
                    if (rng.Next(2) == 0)
                    {
                        // Start near the 2^16 wrap.
                        ushort start = (ushort)(65535 - rng.Next(50));
                        q.SetState(q.GetState() with { NextAvail = start, NextUsed = start });
                        driver.SetAvailIdx(start);
                    }
                }

                bool hostile = rng.Next(2) == 0;
                phase = hostile ? "build hostile" : "build valid";
                List<(ulong, uint, bool)>? expected;
                ushort head;
                if (hostile) head = BuildHostile(rng, memory, driver, q);
                else head = BuildValid(rng, memory, driver, q, limits);
                expected = head < q.Size ? ReferenceChainWalker.Walk(memory, Desc, q.Size, head, q.IndirectDescriptors, limits) : null;
                if (!hostile) Assert.True(expected is not null, $"seed {seed} iteration {i}: the generator built an invalid 'valid' chain");

                bool ringJump = hostile && rng.Next(40) == 0;
                if (ringJump) driver.SetAvailIdx((ushort)(q.NextAvail + q.Size + 1 + rng.Next(60000)));
                else driver.Offer(head);

                Snapshot(memory, before);
                phase = "pop";
                ushort nextAvailBefore = q.NextAvail;
                bool popped = q.TryPopAvailable(out var chain, out var fault);
                Snapshot(memory, after);
                AssertOnlyChanged(before, after, UsedOffsetOfAvailEvent(q.Size), 2, seed, i, "pop");

                if (ringJump || head >= q.Size)
                {
                    Assert.False(popped, $"seed {seed} iteration {i}: a ring fault was not reported (head {head}, jump {ringJump})");
                    Assert.True(q.IsBroken && fault.HeadIndex == -1, $"seed {seed} iteration {i}: expected a ring fault, got {fault}");
                    stats[3]++;
                    // A device would set NEEDS_RESET; the driver resets and re-enables the queue where it stands.
                    var state = q.GetState();
                    q.Reset();
                    q.SetState(state with { NextAvail = driver.AvailIdx });
                    continue;
                }

                Assert.Equal((ushort)(nextAvailBefore + 1), q.NextAvail);
                if (expected is null)
                {
                    if (popped) Assert.Fail($"seed {seed} iteration {i}: queue accepted a chain the reference rejects: {Describe(chain!)}");
                    Assert.True(fault.CanCompleteHead && fault.HeadIndex == head, $"seed {seed} iteration {i}: expected a chain fault for head {head}, got {fault}");
                    Assert.False(q.IsBroken);
                    stats[2]++;
                    Complete(q, memory, before, after, head, 0, seed, i);
                    continue;
                }

                Assert.True(popped, $"seed {seed} iteration {i} ({(hostile ? "hostile" : "valid")}): queue rejected a chain the reference accepts: {fault}");
                stats[hostile ? 1 : 0]++;
                AssertSegments(expected, chain!, memory, seed, i);
                uint written = 0;
                if (!hostile && chain!.WritableBytes > 0)
                {
                    phase = "copy";
                    var payload = new byte[(int)Math.Min(chain.WritableBytes, 3000)];
                    rng.NextBytes(payload);
                    written = (uint)chain.CopyToWritable(payload);
                    Assert.Equal(payload.Length, (int)written);
                    Assert.True(payload.AsSpan().SequenceEqual(ReadWritable(memory, chain, payload.Length)), $"seed {seed} iteration {i}: bytes copied to the writable buffers do not read back: {Describe(chain)}");
                }
                Complete(q, memory, before, after, chain!.HeadIndex, written, seed, i);
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"seed {seed} iteration {i} ({phase}): {e.GetType().Name} escaped: {e}");
        }
        // The mix must really cover each outcome, or the test proves less than it claims.
        Assert.True(stats[0] > 1000 && stats[1] > 20 && stats[2] > 1000 && stats[3] > 20,
            $"seed {seed}: valid={stats[0]} hostile-accepted={stats[1]} chain-faults={stats[2]} ring-faults={stats[3]}");
    }

    private static void Complete(VirtQueue q, GuestMemory memory, byte[] before, byte[] after, ushort head, uint length, int seed, int i)
    {
        ushort slot = q.NextUsed;
        Snapshot(memory, before);
        Assert.True(q.AddUsed(head, length));
        Snapshot(memory, after);
        // used.idx and the one element: bytes [2, 4) and the 8-byte element.
        int element = (int)Used + 4 + 8 * (slot & (q.Size - 1));
        Assert.Equal((ushort)(slot + 1), memory.Read<ushort>(Used + 2));
        Assert.Equal(head, memory.Read<uint>((ulong)element));
        Assert.Equal(length, memory.Read<uint>((ulong)element + 4));
        after.AsSpan((int)Used + 2, 2).CopyTo(before.AsSpan((int)Used + 2));
        after.AsSpan(element, 8).CopyTo(before.AsSpan(element));
        AssertOnlyChanged(before, after, 0, 0, seed, i, "add used");
        q.NeedsNotification();
    }

    private static int UsedOffsetOfAvailEvent(int size) => (int)Used + 4 + 8 * size;

    private static ushort BuildValid(Random rng, GuestMemory memory, SplitRingDriver driver, VirtQueue q, QueueLimits limits)
    {
        int size = q.Size;
        bool useIndirect = q.IndirectDescriptors && rng.Next(3) == 0;
        int direct = Math.Max(1, rng.Next(1, Math.Min(size, 8) + 1) - (useIndirect ? 1 : 0));
        if (useIndirect && direct > size - 1) direct = size - 1;
        int inTable = useIndirect ? rng.Next(1, Math.Min(limits.MaxIndirectDescriptors, 16) + 1) : 0;
        int total = direct + inTable;
        int readable = rng.Next(total + 1);
        ulong budget = limits.MaxChainBytes;

        // Buffers never overlap (so what the device writes can be read back) and sit in either region:
        // at most 24 x (4 KiB + 64) bytes from a random start fits in each region's data area.
        var buffers = new (ulong Address, uint Length, ushort Flags)[total];
        ulong lowCursor = DataStart + (ulong)rng.Next(1024), highCursor = HighStart + (ulong)rng.Next(1024);
        for (int k = 0; k < total; k++)
        {
            uint len = (uint)Math.Max(1, Math.Min((ulong)rng.Next(1, 4097), budget / (ulong)total));
            ref ulong cursor = ref rng.Next(2) == 0 ? ref lowCursor : ref highCursor;
            ulong addr = cursor + (ulong)rng.Next(64);
            cursor = addr + len;
            buffers[k] = (addr, len, k < readable ? (ushort)0 : SplitRingLayout.DescFlagWrite);
        }

        // Distinct descriptor indices in random order, so chains link backwards and skip around.
        var indices = Enumerable.Range(0, size).OrderBy(_ => rng.Next()).Take(useIndirect ? direct + 1 : direct).ToArray();
        for (int k = 0; k < direct; k++)
        {
            var (a, l, f) = buffers[k];
            bool more = k < direct - 1 || useIndirect;
            driver.SetDescriptor(indices[k], a, l, (ushort)(f | (more ? SplitRingLayout.DescFlagNext : 0)), more ? (ushort)indices[k + 1] : (ushort)rng.Next(65536));
        }
        if (useIndirect)
        {
            ulong table = IndirectArea + 16UL * (ulong)rng.Next(0, (int)((IndirectAreaEnd - IndirectArea) / 16) - inTable + 1);
            var slots = Enumerable.Range(0, inTable).OrderBy(_ => rng.Next()).ToArray();
            slots[Array.IndexOf(slots, 0)] = slots[0];
            slots[0] = 0;                          // the walk starts at entry 0
            for (int k = 0; k < inTable; k++)
            {
                var (a, l, f) = buffers[direct + k];
                bool more = k < inTable - 1;
                driver.WriteDescriptor(table + 16UL * (ulong)slots[k], a, l, (ushort)(f | (more ? SplitRingLayout.DescFlagNext : 0)), more ? (ushort)slots[k + 1] : (ushort)0);
            }
            driver.SetDescriptor(indices[direct], table, (uint)(16 * inTable), (ushort)(SplitRingLayout.DescFlagIndirect | (rng.Next(2) == 0 ? SplitRingLayout.DescFlagWrite : 0)));
        }
        return (ushort)indices[0];
    }

    private static ushort BuildHostile(Random rng, GuestMemory memory, SplitRingDriver driver, VirtQueue q)
    {
        int size = q.Size;
        int writes = rng.Next(1, size + 1);
        for (int k = 0; k < writes; k++)
            driver.SetDescriptor(rng.Next(size), HostileAddress(rng), HostileLength(rng), HostileFlags(rng), HostileNext(rng, size));
        int tableWrites = rng.Next(0, 32);
        for (int k = 0; k < tableWrites; k++)
            driver.WriteDescriptor(IndirectArea + 16UL * (ulong)rng.Next(1024), HostileAddress(rng), HostileLength(rng), HostileFlags(rng), HostileNext(rng, 16));
        return rng.Next(30) == 0 ? (ushort)(size + rng.Next(65536 - size)) : (ushort)rng.Next(size);
    }

    private static ulong HostileAddress(Random rng) => rng.Next(9) switch
    {
        0 => (ulong)rng.NextInt64(0, (long)LowEnd),
        1 => HighStart + (ulong)rng.NextInt64(0, (long)(HighEnd - HighStart)),
        2 => LowEnd - (ulong)rng.Next(0, 64),
        3 => HighStart - (ulong)rng.Next(0, 64),
        4 => HighEnd - (ulong)rng.Next(0, 64),
        5 => ulong.MaxValue - (ulong)rng.Next(0, 64),
        6 => (ulong)rng.NextInt64() * 2 + (ulong)rng.Next(2),
        _ => IndirectArea + 16UL * (ulong)rng.Next(1024),
    };

    private static uint HostileLength(Random rng) => rng.Next(8) switch
    {
        0 => 0,
        1 => (uint)rng.Next(1, 64),
        2 or 3 => 16u * (uint)rng.Next(1, 40),
        4 => uint.MaxValue - (uint)rng.Next(0, 32),
        5 => (uint)rng.NextInt64(0, uint.MaxValue + 1L),
        6 => (uint)rng.Next(1, 0x10000),
        _ => 4096,
    };

    private static ushort HostileFlags(Random rng) => rng.Next(10) == 0 ? (ushort)rng.Next(65536) : (ushort)rng.Next(8);

    private static ushort HostileNext(Random rng, int size) => rng.Next(6) switch
    {
        0 => (ushort)rng.Next(65536),
        1 => (ushort)(size + rng.Next(3)),
        _ => (ushort)rng.Next(size),
    };

    private static void AssertSegments(List<(ulong Address, uint Length, bool Writable)> expected, DescriptorChain chain, GuestMemory memory, int seed, int i)
    {
        var actual = new List<(ulong, uint, bool)>();
        foreach (var s in chain.Readable) actual.Add((s.Address, s.Length, false));
        foreach (var s in chain.Writable) actual.Add((s.Address, s.Length, true));
        Assert.True(expected.SequenceEqual(actual), $"seed {seed} iteration {i}: segments differ\n expected {string.Join(", ", expected)}\n actual   {string.Join(", ", actual)}");
        ulong readable = 0, writable = 0;
        foreach (var (a, l, w) in actual)
        {
            Assert.True(l > 0 && memory.IsValidRange(a, l), $"seed {seed} iteration {i}: segment 0x{a:x}+0x{l:x} is not guest RAM");
            if (w) writable += l; else readable += l;
        }
        Assert.Equal(readable, chain.ReadableBytes);
        Assert.Equal(writable, chain.WritableBytes);
    }

    private static byte[] ReadWritable(GuestMemory memory, DescriptorChain chain, int count)
    {
        var result = new byte[count];
        int done = 0;
        foreach (var s in chain.Writable)
        {
            int n = (int)Math.Min((uint)(count - done), s.Length);
            memory.Read(s.Address, result.AsSpan(done, n));
            done += n;
            if (done == count) break;
        }
        return result;
    }

    private static void Snapshot(GuestMemory memory, byte[] into)
    {
        memory.GetSpan(0, (int)LowEnd).CopyTo(into);
        memory.GetSpan(HighStart, (int)(HighEnd - HighStart)).CopyTo(into.AsSpan((int)LowEnd));
    }

    private static void AssertOnlyChanged(byte[] before, byte[] after, int allowedOffset, int allowedLength, int seed, int i, string what)
    {
        var b = before.AsSpan();
        var a = after.AsSpan();
        if (b.SequenceEqual(a)) return;
        int first = b.CommonPrefixLength(a);
        bool inAllowed = first >= allowedOffset && first < allowedOffset + allowedLength
            && b[(allowedOffset + allowedLength)..].SequenceEqual(a[(allowedOffset + allowedLength)..]);
        Assert.True(inAllowed, $"seed {seed} iteration {i}: {what} wrote guest memory at snapshot offset 0x{first:x} (allowed 0x{allowedOffset:x}+{allowedLength})");
    }

    private static string Describe(DescriptorChain chain)
    {
        var parts = new List<string>();
        foreach (var s in chain.Readable) parts.Add($"R 0x{s.Address:x}+0x{s.Length:x}");
        foreach (var s in chain.Writable) parts.Add($"W 0x{s.Address:x}+0x{s.Length:x}");
        return string.Join(", ", parts);
    }
}
