using System.Buffers.Binary;
using System.Collections.Concurrent;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>Lazy restore: a version-2 file's memory images are mapped privately over guest memory, checked against
/// their chunk CRCs in the background once the domain runs, and a corrupt chunk stops the domain as crashed.</summary>
public sealed class LazyRestoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-lazy-").FullName;
    private string SaveFile => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Regions of 4 MiB and 2 MiB: chunks of 2 MiB, some of them all zero.</summary>
    private static GuestMemory NewMemory(GuestMemoryBacking backing = GuestMemoryBacking.Anonymous) =>
        GuestMemory.Create([(0, 4 << 20), (16 << 20, 2 << 20)], backing);

    private byte[] SaveSample()
    {
        using var source = new FakeDomain(memory: NewMemory());
        source.Memory.GetSpan(0x2000, 4096).Fill(0x5a);
        source.Memory.GetSpan(0x3ff000, 16).Fill(0x11);
        source.Memory.GetSpan((16 << 20) + 0x1000, 4096).Fill(0xa5);
        DomainSaver.Save(source, SaveFile, keepRunning: false);
        return File.ReadAllBytes(SaveFile);
    }

    private static void AssertSampleMemory(GuestMemory memory)
    {
        Assert.All(memory.GetSpan(0x2000, 4096).ToArray(), b => Assert.Equal(0x5a, b));
        Assert.All(memory.GetSpan(0x3ff000, 16).ToArray(), b => Assert.Equal(0x11, b));
        Assert.All(memory.GetSpan((16 << 20) + 0x1000, 4096).ToArray(), b => Assert.Equal(0xa5, b));
        Assert.Equal(-1, memory.GetSpan(0, 0x2000).IndexOfAnyExcept((byte)0));
        Assert.Equal(-1, memory.GetSpan(0x200000, 0x1ff000).IndexOfAnyExcept((byte)0));
    }

    [Fact]
    public void ARestoredDomainMapsItsMemoryFromTheFileAndTheBackgroundCheckPasses()
    {
        SaveSample();
        var log = new BlockingCollection<string>();
        using var reader = SavedDomainReader.Open(SaveFile);
        Assert.Equal(2u, reader.FormatVersion);
        using var target = new FakeDomain(memory: NewMemory());
        var result = reader.RestoreInto(target, paused: false, log.Add);
        using var verifier = result.Verifier;

        Assert.Equal(["start parked", "resume vcpus"], target.Events);
        Assert.Equal(2u, result.FormatVersion);
        Assert.Equal(6UL << 20, result.MappedBytes); // both chunks of region 0 and region 1's one chunk hold data
        Assert.Equal(0UL, result.ReadBytes);
        Assert.NotNull(verifier);
        AssertSampleMemory(target.Memory);
        Assert.True(log.TryTake(out var line, Wait), "the check reports when it is done");
        Assert.Contains("verified the memory images", line);
        Assert.Null(target.Crashed);
        Assert.Null(verifier.Problem);
        Assert.Equal(3, verifier.ChunksVerified);
    }

    [Fact]
    public void CheckRecordsRefusesABadRecordOrATruncationButNotAnImageByteWhichOnlyTheVerifierReads()
    {
        var bytes = SaveSample();
        using (var reader = SavedDomainReader.Open(SaveFile)) reader.CheckRecords();

        var image = SavedDomainReaderTests.ImageRanges(SaveFile)[0];
        var flipped = (byte[])bytes.Clone();
        flipped[image.Start + 0x2000] ^= 1;
        File.WriteAllBytes(SaveFile, flipped);
        using (var reader = SavedDomainReader.Open(SaveFile)) reader.CheckRecords();

        flipped = (byte[])bytes.Clone();
        flipped[^40] ^= 1;
        File.WriteAllBytes(SaveFile, flipped);
        using (var reader = SavedDomainReader.Open(SaveFile))
            Assert.Contains("offset", Assert.Throws<DomainRestoreException>(reader.CheckRecords).Message);

        File.WriteAllBytes(SaveFile, bytes[..(int)(image.Start + 100)]);
        using (var reader = SavedDomainReader.Open(SaveFile))
            Assert.Contains("truncated", Assert.Throws<DomainRestoreException>(reader.CheckRecords).Message);
    }

    [Fact]
    public void TheGuestsWritesNeverReachTheFile()
    {
        var before = SaveSample();
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(memory: NewMemory());
        using var verifier = reader.RestoreInto(target, paused: false).Verifier;
        target.Memory.GetSpan(0, 4 << 20).Fill(0xee);
        target.Memory.GetSpan(16 << 20, 2 << 20).Fill(0xdd);
        Assert.Equal(before, File.ReadAllBytes(SaveFile));
    }

    [Fact]
    public void ACorruptImageChunkStopsTheDomainAsCrashedNamingTheFileChunkAndOffsets()
    {
        var bytes = SaveSample();
        var image = SavedDomainReaderTests.ImageRanges(SaveFile)[1];
        bytes[image.Start + 0x1000 + 7] ^= 0x40;
        File.WriteAllBytes(SaveFile, bytes);

        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(memory: NewMemory());
        using var verifier = reader.RestoreInto(target, paused: true).Verifier;
        // The records and the length were right: the domain was started (parked, with -p) ...
        Assert.Equal(["start parked"], target.Events);
        // ... and the background check stops it.
        string? crash = target.WaitForCrash(Wait);
        Assert.NotNull(crash);
        Assert.Contains(SaveFile, crash);
        Assert.Contains("region 1", crash);
        Assert.Contains("chunk 0", crash);
        Assert.Contains($"file offsets {image.Start}–{image.Start + (2 << 20)}", crash);
        Assert.Contains("CRC-32C", crash);
    }

    [Fact]
    public void AFileTruncatedAfterTheRestoreIsReportedByTheCheck()
    {
        SaveSample();
        var images = new List<MemoryImageLayout>();
        using (var r = new SaveStreamReader(File.OpenRead(SaveFile), ownsStream: true))
            while (r.TryReadRecord(out var rec))
                if (rec.Type == SaveRecordType.MemoryImage) images.Add(rec.MemoryImage.ToLayout());
        using var memory = NewMemory();
        var handle = File.OpenHandle(SaveFile, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, images[1].ImageOffset + 100);
        using var verifier = new MemoryImageVerifier(SaveFile, handle, memory, images, [false, false], _ => { });
        string? problem = verifier.VerifyAll(TestContext.Current.CancellationToken);
        Assert.NotNull(problem);
        Assert.Contains("truncated", problem);
        Assert.Contains("region 1, chunk 0", problem);
    }

    [Fact]
    public void ARegionSharedWithOtherProcessesIsReadAndCheckedBeforeAnythingRuns()
    {
        SaveSample();
        using (var reader = SavedDomainReader.Open(SaveFile))
        using (var target = new FakeDomain(memory: NewMemory(GuestMemoryBacking.SharedMemfd)))
        {
            var result = reader.RestoreInto(target, paused: false);
            Assert.Null(result.Verifier);
            Assert.Equal(0UL, result.MappedBytes);
            Assert.Equal(6UL << 20, result.ReadBytes); // every data chunk, read and checked
            AssertSampleMemory(target.Memory);
        }

        var bytes = File.ReadAllBytes(SaveFile);
        var image = SavedDomainReaderTests.ImageRanges(SaveFile)[0];
        bytes[image.Start + 0x2000] ^= 1;
        File.WriteAllBytes(SaveFile, bytes);
        using (var reader = SavedDomainReader.Open(SaveFile))
        using (var target = new FakeDomain(memory: NewMemory(GuestMemoryBacking.SharedMemfd)))
        {
            var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
            Assert.Contains(SaveFile, e.Message);
            Assert.Contains("chunk 0", e.Message);
            Assert.Empty(target.Events);
        }
    }

    [Fact]
    public void AVersion1FileIsStillRestoredEagerly()
    {
        using (var source = new FakeDomain(memory: NewMemory()))
        {
            source.Memory.GetSpan(0x2000, 4096).Fill(0x5a);
            source.Memory.GetSpan(0x3ff000, 16).Fill(0x11);
            source.Memory.GetSpan((16 << 20) + 0x1000, 4096).Fill(0xa5);
            using var file = File.Create(SaveFile);
            using var w = new SaveStreamWriter(file, source.Header);
            w.WriteDomainConfig(System.Text.Encoding.UTF8.GetBytes(source.ConfigJson));
            w.WriteMemoryRegionMap(source.Memory);
            w.WriteAllMemory(source.Memory);
            var state = source.CaptureMachineState();
            for (int i = 0; i < state.Vcpus.Count; i++) w.WriteVcpuState(i, Xenon.Machine.State.VcpuStateCodec.Encode(state.Vcpus[i]));
            w.WritePlatformState(Xenon.Machine.State.PlatformStateCodec.Encode(state.Platform));
            w.WriteDeviceStates(source.DeviceStates);
            w.WriteEnd();
        }
        MakeVersion1(SaveFile);

        using var reader = SavedDomainReader.Open(SaveFile);
        Assert.Equal(1u, reader.FormatVersion);
        using var target = new FakeDomain(memory: NewMemory());
        var result = reader.RestoreInto(target, paused: false);
        Assert.Equal(1u, result.FormatVersion);
        Assert.Null(result.Verifier);
        Assert.Equal(["start parked", "resume vcpus"], target.Events);
        AssertSampleMemory(target.Memory);
    }

    /// <summary>Rewrites the header's version to 1 (and its CRC), as an older Xenon wrote it.</summary>
    private static void MakeVersion1(string path)
    {
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(32));
        int crcAt = SaveFormat.HeaderFixedSize + nameLength;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(crcAt), Crc32C.Compute(bytes.AsSpan(0, crcAt)));
        File.WriteAllBytes(path, bytes);
    }
}
