namespace Xenon.Devices.State;

/// <summary>
/// One restore of a <see cref="DeviceStateSet"/>: routes each saved state to its device and checks at the end that
/// every device got exactly one. A saved device the domain lacks, a duplicate, or a device left without state is
/// an error: the restored domain would not be the saved one.
/// </summary>
public sealed class DeviceStateRestore
{
    private readonly DeviceStateSet _set;
    private readonly HashSet<string> _restored = new(StringComparer.Ordinal);

    internal DeviceStateRestore(DeviceStateSet set) => _set = set;

    public int RestoredCount => _restored.Count;

    /// <exception cref="DeviceStateException">Unknown or repeated id, or the device refused the state (the message names the device).</exception>
    public void Apply(string id, ReadOnlySpan<byte> state)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_set.TryGet(id, out var device))
            throw new DeviceStateException($"saved state for device '{id}', which this domain does not have");
        if (!_restored.Add(id))
            throw new DeviceStateException($"device '{id}' has two saved states");
        try
        {
            device.RestoreState(state);
        }
        catch (DeviceStateException e)
        {
            throw new DeviceStateException($"device '{id}': {e.Message}", e);
        }
    }

    /// <summary>Checks every device got its state, then lets each finish (<see cref="IStatefulDevice.RestoreCompleted"/>).</summary>
    /// <exception cref="DeviceStateException">A device of the domain had no saved state.</exception>
    public void Complete()
    {
        foreach (var device in _set.Devices)
        {
            if (!_restored.Contains(device.StateId))
                throw new DeviceStateException($"device '{device.StateId}' has no saved state");
        }
        foreach (var device in _set.Devices) device.RestoreCompleted();
    }
}
