using Xenon.Domain.Save;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// A parked, never-run target's own state as a complete record stream in memory, for the warm-ups of the restore
/// (<see cref="RestoreWarmup"/>) and of the migration receiver (Migration.MigrationWarmup): read back through the real
/// apply path, it leaves the machine as it was.
/// </summary>
internal static class OwnStateStream
{
    /// <summary>The stream, positioned at its start: header, an empty config, the memory map, every vCPU, the platform,
    /// every device and End.</summary>
    public static MemoryStream Write(IRestoreTarget target, MachineState own, SaveFlags flags)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(own);
        var bytes = new MemoryStream();
        using (var writer = new SaveStreamWriter(bytes, new SaveHeader("warm-up", Guid.Empty, flags)))
        {
            writer.WriteDomainConfig("{}"u8);
            writer.WriteMemoryRegionMap(target.Memory);
            for (int i = 0; i < own.Vcpus.Count; i++) writer.WriteVcpuState(i, VcpuStateCodec.Encode(own.Vcpus[i]));
            writer.WritePlatformState(PlatformStateCodec.Encode(own.Platform));
            writer.WriteDeviceStates(target.DeviceStates);
            writer.WriteEnd();
        }
        bytes.Position = 0;
        return bytes;
    }
}
