using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>The restore orchestration (xl restore): a saved file fills a freshly built domain, and nothing runs unless the
/// whole file was read and checked; every refusal names the file (and, for a bad stream, the offset).</summary>
public sealed class SavedDomainReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-restore-").FullName;
    private string SaveFile => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private byte[] SaveSample()
    {
        using var source = new FakeDomain();
        source.Memory.GetSpan(0x2000, 4096).Fill(0x5a);
        source.Memory.GetSpan(0x100000, 16).Fill(0xa5);
        DomainSaver.Save(source, SaveFile, keepRunning: false);
        return File.ReadAllBytes(SaveFile);
    }

    [Fact]
    public void ARestoredDomainHasTheSavedMemoryCpuAndDevicesAndRuns()
    {
        SaveSample();
        using var reader = SavedDomainReader.Open(SaveFile);
        Assert.Equal("guest-1", reader.Header.DomainName);
        Assert.Equal(FakeDomain.ConfigJsonText, reader.ConfigJson);
        using var target = new FakeDomain();
        target.Memory.GetSpan(0x3000, 8).Fill(0); // fresh memory
        var result = reader.RestoreInto(target, paused: false);
        // Its background check must end before the target's memory goes.
        using var verifier = result.Verifier;

        Assert.Equal(["start parked", "resume vcpus"], target.Events);
        Assert.All(target.Memory.GetSpan(0x2000, 4096).ToArray(), b => Assert.Equal(0x5a, b));
        Assert.All(target.Memory.GetSpan(0x100000, 16).ToArray(), b => Assert.Equal(0xa5, b));
        Assert.Equal(0x1001UL, target.StartedWith!.Vcpus[1].Registers.Rip);
        Assert.Equal(123_456_789UL, target.StartedWith.Platform.ClockNs);
        Assert.Equal("extra-state"u8.ToArray(), target.Extra.Restored);
        Assert.True(target.Extra.Completed);
        Assert.Equal(2UL, result.DataPages);
        Assert.Equal(2, result.Devices);
    }

    [Fact]
    public void ARestoreWithPausedLeavesTheVcpusParked()
    {
        SaveSample();
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain();
        using var verifier = reader.RestoreInto(target, paused: true).Verifier;
        Assert.Equal(["start parked"], target.Events);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var e = Assert.Throws<DomainRestoreException>(() => SavedDomainReader.Open(Path.Combine(_dir, "nothing")));
        Assert.Contains("cannot open", e.Message);
        Assert.Contains(Path.Combine(_dir, "nothing"), e.Message);
    }

    [Fact]
    public void AFileOfAnotherVersionIsRefusedAtOpen()
    {
        var bytes = SaveSample();
        bytes[8] = (byte)(SaveFormat.Version + 1);
        File.WriteAllBytes(SaveFile, bytes);
        var e = Assert.Throws<DomainRestoreException>(() => SavedDomainReader.Open(SaveFile));
        Assert.Contains(SaveFile, e.Message);
        Assert.Contains("offset 8", e.Message);
    }

    [Fact]
    public void ANonSaveFileIsRefusedAtOpen()
    {
        File.WriteAllText(SaveFile, "#!/bin/sh\necho not a saved domain\n");
        var e = Assert.Throws<DomainRestoreException>(() => SavedDomainReader.Open(SaveFile));
        Assert.Contains(SaveFile, e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void ATruncatedFileIsRefusedBeforeAnythingRuns(double keep)
    {
        var bytes = SaveSample();
        File.WriteAllBytes(SaveFile, bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain();
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains(SaveFile, e.Message);
        Assert.Contains("offset", e.Message);
        Assert.Empty(target.Events);
    }

    [Fact]
    public void AFlippedByteAnywhereAfterTheConfigButOutsideTheImagesIsRefusedBeforeAnythingRuns()
    {
        var bytes = SaveSample();
        var images = ImageRanges(SaveFile);
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var copy = (byte[])bytes.Clone();
            int at;
            do at = rng.Next(200, copy.Length);
            while (images.Exists(r => at >= r.Start && at < r.End));
            copy[at] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(SaveFile, copy);
            using var target = new FakeDomain();
            var e = Assert.Throws<DomainRestoreException>(() =>
            {
                using var reader = SavedDomainReader.Open(SaveFile);
                reader.RestoreInto(target, paused: false);
            });
            Assert.Contains(SaveFile, e.Message);
            Assert.Empty(target.Events);
        }
    }

    /// <summary>The file ranges of the memory images (their contents are checked after the start, by the verifier).</summary>
    internal static List<(long Start, long End)> ImageRanges(string path)
    {
        using var reader = new SaveStreamReader(File.OpenRead(path), ownsStream: true);
        var ranges = new List<(long, long)>();
        while (reader.TryReadRecord(out var r))
            if (r.Type == SaveRecordType.MemoryImage)
                ranges.Add((r.MemoryImage.ImageOffset, r.MemoryImage.ImageOffset + (long)r.MemoryImage.Region.Size));
        return ranges;
    }

    [Fact]
    public void AMemoryMapThatDiffersFromTheBuiltDomainIsRefused()
    {
        SaveSample();
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(memory: Xenon.Machine.Memory.GuestMemory.Create([(0, 0x20000)]));
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains("memory map", e.Message);
        Assert.Contains("offset", e.Message);
        Assert.Empty(target.Events);
    }

    [Fact]
    public void AFileWithFewerVcpusThanTheDomainIsRefused()
    {
        SaveSample();
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(vcpus: 3);
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains("no state for vCPU 2", e.Message);
        Assert.Empty(target.Events);
    }

    [Fact]
    public void AFileWithMoreVcpusThanTheDomainIsRefused()
    {
        SaveSample();
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(vcpus: 1);
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains("vCPU 1, but the domain has 1", e.Message);
    }

    [Fact]
    public void AMalformedVcpuRecordIsRefusedNamingItsOffset()
    {
        using (var output = File.Create(SaveFile))
        using (var w = new SaveStreamWriter(output, new SaveHeader("guest-1", Guid.NewGuid())))
        {
            using var m = new FakeDomain();
            w.WriteDomainConfig("{}"u8);
            w.WriteMemoryRegionMap(m.Memory);
            w.WriteVcpuState(0, "not a vcpu"u8);
            w.WriteEnd();
        }
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(vcpus: 1);
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains("VcpuState", e.Message);
        Assert.Contains("offset", e.Message);
        Assert.Empty(target.Events);
    }

    [Fact]
    public void ADeviceStateTheDomainHasNoDeviceForIsRefusedNamingTheDevice()
    {
        using (var output = File.Create(SaveFile))
        using (var w = new SaveStreamWriter(output, new SaveHeader("guest-1", Guid.NewGuid())))
        {
            using var m = new FakeDomain(vcpus: 1);
            w.WriteDomainConfig("{}"u8);
            w.WriteMemoryRegionMap(m.Memory);
            w.WriteVcpuState(0, VcpuStateCodec.Encode(new VcpuState()));
            w.WritePlatformState(PlatformStateCodec.Encode(new PlatformState()));
            w.WriteDeviceState("pci:virtio-gpu", [1]);
            w.WriteEnd();
        }
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(vcpus: 1);
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains("pci:virtio-gpu", e.Message);
        Assert.Contains("offset", e.Message);
        Assert.DoesNotContain("resume vcpus", target.Events);
    }
}
