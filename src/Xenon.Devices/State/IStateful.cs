using System.Buffers;

namespace Xenon.Devices.State;

/// <summary>
/// Something whose state has an explicit, versioned binary form (docs/save-format.md, "Device state").
/// The blob starts with a kind tag and a layout version (<see cref="StateWriter.Begin"/>), so a blob can never
/// be mistaken for another model's, and a newer build can still read an older layout.
/// </summary>
/// <remarks>
/// Save and restore run while the domain is paused: no vCPU is in the guest and the device's I/O threads are idle.
/// The blob comes from a file or a network peer, so <see cref="RestoreState"/> treats it as hostile: it validates
/// every field (sizes, indices, addresses inside guest memory) and fails with <see cref="DeviceStateException"/>,
/// never another exception. After a failed restore the device is safe but not meaningful; the caller discards the domain.
/// </remarks>
public interface IStateful
{
    /// <summary>Appends the state's binary form to <paramref name="output"/>; returns the bytes written.</summary>
    int SaveState(IBufferWriter<byte> output);

    /// <summary>Replaces the state with the one in <paramref name="state"/> (a blob <see cref="SaveState"/> produced, maybe by another build).</summary>
    /// <exception cref="DeviceStateException">The blob is malformed, of another kind, of an unknown version, or describes a state this device cannot take.</exception>
    void RestoreState(ReadOnlySpan<byte> state);
}
