using Xenon.Devices.State;
using Xenon.Domain.Process;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// xl save's options around <see cref="DomainSaver"/>: <c>-p</c> (the domain is kept, and left paused: the vCPUs are
/// paused before the save and not resumed after it; a failed save resumes them) and CONFIG-FILE (the configuration
/// stored in the file is another spec than the domain's own, which must build the same machine: the same RAM and
/// vCPUs, since the saved memory and vCPU state are this machine's).
/// </summary>
public static class DomainCheckpoint
{
    /// <param name="replacementSpec">A <see cref="DomainSpec"/> as JSON to store instead of the domain's; null for its own.</param>
    /// <exception cref="DomainSaveException">The save failed (the domain runs on as before) or the replacement does not fit.</exception>
    public static SaveResult Save(ISaveSource source, DomainSpec current, string path, bool keepRunning, bool leavePaused, string? replacementSpec)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(current);
        if (replacementSpec is not null)
        {
            DomainSpec replacement;
            try
            {
                replacement = DomainSpecJson.Deserialize(replacementSpec, "the replacement configuration");
            }
            catch (InvalidDataException e)
            {
                throw new DomainSaveException($"cannot save to {path}: {e.Message}", e);
            }
            if (Mismatch(replacement, current) is { } why) throw new DomainSaveException($"cannot save to {path}: the replacement configuration: {why}");
            source = new ReplacedConfig(source, DomainSpecJson.Serialize(replacement));
        }
        if (!leavePaused) return DomainSaver.Save(source, path, keepRunning);

        bool pausedHere = !source.VcpusPaused;
        if (pausedHere) source.PauseVcpus();
        try
        {
            // Seen as paused by the saver, which then leaves the vCPUs as they are.
            return DomainSaver.Save(new AlreadyPaused(source), path, keepRunning: true);
        }
        catch
        {
            if (pausedHere) source.ResumeVcpus();
            throw;
        }
    }

    /// <summary>Null if <paramref name="replacement"/> builds the machine <paramref name="saved"/> describes (RAM and vCPUs).</summary>
    public static string? Mismatch(DomainSpec replacement, DomainSpec saved)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        ArgumentNullException.ThrowIfNull(saved);
        ulong ram = Math.Max(replacement.MemoryMiB, replacement.MaxMemoryMiB), savedRam = Math.Max(saved.MemoryMiB, saved.MaxMemoryMiB);
        if (ram != savedRam)
            return $"the configuration gives the guest {ram} MiB of RAM (maxmem), the saved domain has {savedRam} MiB; they must be equal";
        if (replacement.Vcpus != saved.Vcpus || replacement.EffectiveMaxVcpus != saved.EffectiveMaxVcpus)
            return $"the configuration has vcpus={replacement.Vcpus}, maxvcpus={replacement.EffectiveMaxVcpus}; the saved domain has " +
                   $"vcpus={saved.Vcpus}, maxvcpus={saved.EffectiveMaxVcpus}; they must be equal";
        return null;
    }

    private abstract class Forwarding(ISaveSource inner) : ISaveSource
    {
        public SaveHeader Header => inner.Header;
        public virtual string ConfigJson => inner.ConfigJson;
        public GuestMemory Memory => inner.Memory;
        public virtual bool VcpusPaused => inner.VcpusPaused;
        public void PauseVcpus() => inner.PauseVcpus();
        public void ResumeVcpus() => inner.ResumeVcpus();
        public void QuiesceDevices() => inner.QuiesceDevices();
        public void ResumeDevices() => inner.ResumeDevices();
        public MachineState CaptureMachineState() => inner.CaptureMachineState();
        public DeviceStateSet DeviceStates => inner.DeviceStates;
    }

    private sealed class ReplacedConfig(ISaveSource inner, string json) : Forwarding(inner)
    {
        public override string ConfigJson => json;
    }

    private sealed class AlreadyPaused(ISaveSource inner) : Forwarding(inner)
    {
        public override bool VcpusPaused => true;
    }
}
