using Xenon.Domain.Migration;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Domain.Tests.SaveRestore;
using Xenon.Machine.Backend;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The receiver applies the state records as they arrive: the machine once every vCPU and the platform have
/// theirs, each device at its record (after the machine), the devices' completion only at End; and a stream whose
/// records come out of that order is refused.</summary>
public sealed class LiveStateApplierTests
{
    private enum Part { Vcpu0, Vcpu1, Platform, Serial, Extra, Pages }

    /// <summary>Feeds the records of a stream holding <paramref name="parts"/>, in that order, to an applier;
    /// <paramref name="after"/> runs after each record with its part.</summary>
    private static void Feed(FakeDomain target, LiveStateApplier applier, Part[] parts, Action<Part>? after = null)
    {
        using var bytes = new MemoryStream();
        using (var writer = new SaveStreamWriter(bytes, new SaveHeader("guest-1", Guid.Empty, SaveFlags.Live), ownsStream: false))
        {
            writer.WriteDomainConfig("{}"u8);
            writer.WriteMemoryRegionMap(target.Memory);
            foreach (var part in parts)
            {
                switch (part)
                {
                    case Part.Vcpu0 or Part.Vcpu1:
                        writer.WriteVcpuState(part == Part.Vcpu0 ? 0 : 1,
                            VcpuStateCodec.Encode(new VcpuState { Registers = new X86Registers { Rip = part == Part.Vcpu0 ? 0x1000UL : 0x1001UL } }));
                        break;
                    case Part.Platform:
                        writer.WritePlatformState(PlatformStateCodec.Encode(new PlatformState { ClockNs = 77 }));
                        break;
                    case Part.Serial:
                        writer.WriteDeviceState(target.Serial);
                        break;
                    case Part.Extra:
                        writer.WriteDeviceState("extra", "extra-state"u8);
                        break;
                    case Part.Pages:
                        writer.WriteMemoryPages(target.Memory, [0UL]);
                        break;
                }
            }
            writer.WriteEnd();
        }
        bytes.Position = 0;
        using var reader = new SaveStreamReader(bytes);
        int index = 0;
        while (reader.TryReadRecord(out var record) && record.Type != SaveRecordType.End)
        {
            if (record.Type is SaveRecordType.DomainConfig or SaveRecordType.MemoryRegionMap) continue;
            if (record.Type == SaveRecordType.MemoryPages) applier.RequireBeforeState(record);
            else Assert.True(applier.TryApply(record));
            after?.Invoke(parts[index++]);
        }
    }

    [Fact]
    public void TheMachineStateGoesInOnceEveryVcpuAndThePlatformHaveArrivedAndEachDeviceAtItsRecord()
    {
        using var target = new FakeDomain(vcpus: 2);
        var applier = new LiveStateApplier(target, "test stream");
        var seen = new List<string>();
        Feed(target, applier, [Part.Vcpu0, Part.Vcpu1, Part.Platform, Part.Serial, Part.Extra],
            part => seen.Add($"{part}: {target.Events.Count} {target.Extra.Restores} {target.Extra.Completed}"));

        // Nothing before the platform's record, the machine right after it, the extra device at its own record,
        // and no device completed before End.
        Assert.Equal(["Vcpu0: 0 0 False", "Vcpu1: 0 0 False", "Platform: 1 0 False", "Serial: 1 0 False", "Extra: 1 1 False"], seen);
        Assert.Equal(0x1001UL, target.StartedWith!.Vcpus[1].Registers.Rip);
        applier.Complete();
        Assert.True(target.Extra.Completed);
        Assert.Equal(2, applier.DeviceCount);
        Assert.Contains("vCPU and platform +", applier.Profile, StringComparison.Ordinal);
        Assert.Contains(", completed ", applier.Profile, StringComparison.Ordinal);
        Assert.Contains(" extra +", applier.Profile, StringComparison.Ordinal);
        Assert.Contains("; GC gen0/1/2 ", applier.Profile, StringComparison.Ordinal);
        // The device's own steps in brackets, and the window's JIT.
        Assert.Matches(@" extra \+\d+\.\d(?: \(JIT \d+, \d+\.\d ms\))? \[extra step ", applier.Profile);
        Assert.Matches(@"; JIT \(all threads\) \d+ methods \(#\d+–#\d+\), \d+\.\d ms$", applier.Profile);
    }

    [Fact]
    public void DeviceRecordsBeforeTheMachineStateWaitForIt()
    {
        using var target = new FakeDomain(vcpus: 2);
        var applier = new LiveStateApplier(target, "test stream");
        var restoresWhenMachineStarted = -1;
        Feed(target, applier, [Part.Extra, Part.Serial, Part.Vcpu0, Part.Platform, Part.Vcpu1], part =>
        {
            if (part == Part.Extra) Assert.Equal(0, target.Extra.Restores);
            if (part == Part.Vcpu1) restoresWhenMachineStarted = target.Extra.Restores;
        });
        Assert.Equal(["start parked"], target.Events);
        Assert.Equal(1, restoresWhenMachineStarted);
        applier.Complete();
        Assert.True(target.Extra.Completed);
    }

    [Fact]
    public void PagesAfterTheStateRecordsAreRefused()
    {
        using var target = new FakeDomain(vcpus: 2);
        var applier = new LiveStateApplier(target, "test stream");
        var e = Assert.Throws<SaveFormatException>(() => Feed(target, applier, [Part.Pages, Part.Vcpu0, Part.Pages]));
        Assert.Contains("MemoryPages record after the vCPU, platform or device state", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASecondVcpuRecordAfterTheMachineStateWasAppliedIsRefused()
    {
        using var target = new FakeDomain(vcpus: 2);
        var applier = new LiveStateApplier(target, "test stream");
        var e = Assert.Throws<SaveFormatException>(() => Feed(target, applier, [Part.Vcpu0, Part.Vcpu1, Part.Platform, Part.Vcpu0]));
        Assert.Equal("vCPU 0 has a second state record", e.Reason); // the reader refuses it before the applier would
    }

    [Fact]
    public void EndWithoutThePlatformOrADeviceIsRefusedByName()
    {
        using (var target = new FakeDomain(vcpus: 2))
        {
            var applier = new LiveStateApplier(target, "test stream");
            Feed(target, applier, [Part.Vcpu0, Part.Vcpu1, Part.Serial, Part.Extra]);
            var e = Assert.Throws<DomainRestoreException>(applier.Complete);
            Assert.Equal("test stream: no platform state", e.Message);
            Assert.Empty(target.Events);
        }
        using (var target = new FakeDomain(vcpus: 2))
        {
            var applier = new LiveStateApplier(target, "test stream");
            Feed(target, applier, [Part.Vcpu0, Part.Vcpu1, Part.Platform, Part.Serial]);
            var e = Assert.Throws<DomainRestoreException>(applier.Complete);
            Assert.Contains("device 'extra' has no saved state", e.Message, StringComparison.Ordinal);
            Assert.False(target.Extra.Completed);
        }
    }
}
