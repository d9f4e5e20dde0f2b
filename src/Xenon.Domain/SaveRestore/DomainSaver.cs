using System.Diagnostics;
using System.Text;
using Xenon.Domain.Save;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// xl save: pauses the vCPUs, parks the device I/O threads, writes the whole domain (docs/save-format.md) to
/// FILE.tmp and renames it to FILE. If any step fails, FILE.tmp is removed and the domain runs on; the error names
/// the step. On success the domain is left paused and quiesced unless <c>keepRunning</c> (xl save -c): the caller
/// then ends it, so that nothing the guest or a device does after the save is lost.
/// </summary>
public static class DomainSaver
{
    public static SaveResult Save(ISaveSource source, string path, bool keepRunning)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string step = "pausing the vCPUs";
        bool pausedHere = false, quiesced = false;
        var clock = Stopwatch.StartNew();
        try
        {
            if (!source.VcpusPaused)
            {
                source.PauseVcpus();
                pausedHere = true;
            }
            step = "quiescing device I/O";
            source.QuiesceDevices();
            quiesced = true;
            step = "capturing the vCPU and platform state";
            var machine = source.CaptureMachineState();
            step = $"creating {path}{AtomicFileWriter.TempSuffix}";
            SaveTotals totals;
            long bytes;
            using (var file = AtomicFileWriter.Create(path))
            {
                using (var writer = new SaveStreamWriter(file.Stream, source.Header))
                {
                    step = "writing the domain configuration";
                    writer.WriteDomainConfig(Encoding.UTF8.GetBytes(source.ConfigJson));
                    step = "writing guest memory";
                    writer.WriteMemoryRegionMap(source.Memory);
                    writer.WriteMemoryImages(source.Memory);
                    step = "writing the vCPU state";
                    for (int i = 0; i < machine.Vcpus.Count; i++) writer.WriteVcpuState(i, VcpuStateCodec.Encode(machine.Vcpus[i]));
                    writer.WritePlatformState(PlatformStateCodec.Encode(machine.Platform));
                    step = "writing device state";
                    writer.WriteDeviceStates(source.DeviceStates);
                    step = "writing the end record";
                    writer.WriteEnd();
                    totals = writer.Totals;
                }
                step = $"committing {path}";
                bytes = file.Stream.Length;
                file.Commit();
            }
            var result = new SaveResult(path, bytes, totals.DataPages, totals.ZeroPages, source.DeviceStates.Devices.Count, clock.Elapsed);
            if (keepRunning) Resume(source, quiesced, pausedHere);
            return result;
        }
        catch (Exception e)
        {
            Resume(source, quiesced, pausedHere);
            throw new DomainSaveException($"cannot save to {path}: {step}: {e.Message}", e);
        }
    }

    // Devices first, so that kicks the resumed vCPUs send are served.
    private static void Resume(ISaveSource source, bool quiesced, bool pausedHere)
    {
        if (quiesced) source.ResumeDevices();
        if (pausedHere) source.ResumeVcpus();
    }
}
