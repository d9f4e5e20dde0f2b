namespace Xenon.Devices.State;

/// <summary>
/// A device whose state is saved as one DeviceState record of the save stream, under <see cref="StateId"/>.
/// </summary>
/// <remarks>The id names the device's place in the domain, not its model ("serial0", "pci:virtio-blk-xvda"):
/// the restoring domain, built from the same configuration, has a device with the same id. Ids are 1–128
/// printable ASCII characters without spaces (<see cref="DeviceStateSet.IsValidId"/>).</remarks>
public interface IStatefulDevice : IStateful
{
    string StateId { get; }

    /// <summary>
    /// Called by <see cref="DeviceStateRestore.Complete"/>, in the set's order, once every device of the set has its
    /// state: for work that needs the others restored first (moving BARs, kicking restored queues). Must not throw for
    /// any state <see cref="IStateful.RestoreState"/> accepted.
    /// </summary>
    void RestoreCompleted()
    {
    }
}
