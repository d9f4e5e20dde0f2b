using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>The restore's log line carries the apply's steps: the vCPU and platform state, each device's restore (with
/// the steps it names) and completion, and the JIT of the window; and the devices' check still names a device the
/// file has no state for.</summary>
public sealed class RestoreProfileLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-restore-profile-").FullName;
    private string SaveFile => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheRestoreResultNamesEachStepOfTheApply()
    {
        using (var source = new FakeDomain()) DomainSaver.Save(source, SaveFile, keepRunning: false);
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain();
        var result = reader.RestoreInto(target, paused: false);
        using var verifier = result.Verifier;

        const string ms = @"\d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?";
        Assert.Matches($@"^records \(JIT \d+, \d+\.\d ms\), vCPU and platform \+{ms}, devices serial0 \+{ms} extra \+{ms} \[extra step {ms}\], completed serial0 \+{ms} extra \+{ms}; JIT \(all threads\) \d+ methods \(#\d+–#\d+\), \d+\.\d ms$",
            result.Profile);
        Assert.Contains($"; apply: {result.Profile}", result.ToString(), StringComparison.Ordinal);
        Assert.True(target.Extra.Completed);
        Assert.Null(RestoreProfile.Current);
    }

    [Fact]
    public void RunningAtIsWhenTheVcpusWereLetRunNotWhenTheRestoreReturned()
    {
        using (var source = new FakeDomain()) DomainSaver.Save(source, SaveFile, keepRunning: false);
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain();
        long before = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = reader.RestoreInto(target, paused: false);
        long after = System.Diagnostics.Stopwatch.GetTimestamp();
        using var verifier = result.Verifier;

        // Taken right after the resume: restore-to-running ends there, before the background check starts and the
        // profile is formatted.
        Assert.True(target.ResumedAt > before, "the vCPUs were resumed");
        Assert.InRange(result.RunningAt, target.ResumedAt, after);
        Assert.True(result.SinceOpen >= result.Duration, $"since the file was opened {result.SinceOpen} < the restore's {result.Duration}");
    }

    [Fact]
    public void APausedRestoreStillSaysWhenItWasDone()
    {
        using (var source = new FakeDomain()) DomainSaver.Save(source, SaveFile, keepRunning: false);
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain();
        long before = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = reader.RestoreInto(target, paused: true);
        using var verifier = result.Verifier;
        Assert.Equal(0, target.ResumedAt);
        Assert.InRange(result.RunningAt, before, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    [Fact]
    public void AFileWithoutStateForOneOfTheDomainsDevicesIsRefusedNamingItBeforeAnythingRuns()
    {
        using (var output = File.Create(SaveFile))
        using (var w = new SaveStreamWriter(output, new SaveHeader("guest-1", Guid.NewGuid())))
        {
            using var m = new FakeDomain(vcpus: 1);
            w.WriteDomainConfig("{}"u8);
            w.WriteMemoryRegionMap(m.Memory);
            w.WriteVcpuState(0, VcpuStateCodec.Encode(new VcpuState()));
            w.WritePlatformState(PlatformStateCodec.Encode(new PlatformState()));
            w.WriteDeviceState(m.Serial);
            w.WriteEnd();
        }
        using var reader = SavedDomainReader.Open(SaveFile);
        using var target = new FakeDomain(vcpus: 1);
        var e = Assert.Throws<DomainRestoreException>(() => reader.RestoreInto(target, paused: false));
        Assert.Contains("device 'extra' has no saved state", e.Message, StringComparison.Ordinal);
        Assert.False(target.Extra.Completed);
        Assert.DoesNotContain("resume vcpus", target.Events);
    }
}
