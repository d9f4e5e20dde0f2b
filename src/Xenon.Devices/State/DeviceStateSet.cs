namespace Xenon.Devices.State;

/// <summary>
/// The stateful devices of one domain, by <see cref="IStatefulDevice.StateId"/>: what a save writes (in the order
/// they were added) and what a restore must find again. Built once, after the domain's devices exist.
/// </summary>
/// <remarks>Order matters on restore only where a device's restore reads another's state; add such devices after
/// the ones they read (e.g. PCI functions before anything that looks at their BARs).</remarks>
public sealed class DeviceStateSet
{
    /// <summary>Longest device id.</summary>
    public const int MaxIdLength = 128;

    private readonly List<IStatefulDevice> _devices = [];
    private readonly Dictionary<string, IStatefulDevice> _byId = new(StringComparer.Ordinal);

    public IReadOnlyList<IStatefulDevice> Devices => _devices;

    /// <summary>Adds a device; its id must be valid and not taken.</summary>
    public DeviceStateSet Add(IStatefulDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        string id = device.StateId;
        if (!IsValidId(id))
            throw new ArgumentException($"device state id '{id}' must be 1–{MaxIdLength} printable ASCII characters without spaces", nameof(device));
        if (!_byId.TryAdd(id, device))
            throw new ArgumentException($"two devices have the state id '{id}'", nameof(device));
        _devices.Add(device);
        return this;
    }

    public bool TryGet(string id, out IStatefulDevice device) => _byId.TryGetValue(id, out device!);

    /// <summary>Starts a restore: each saved device state goes to <see cref="DeviceStateRestore.Apply"/>, then <see cref="DeviceStateRestore.Complete"/>.</summary>
    public DeviceStateRestore BeginRestore() => new(this);

    /// <summary>1–128 characters from '!' to '~' (so ids survive logs, file names and JSON unchanged).</summary>
    public static bool IsValidId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength) return false;
        foreach (char c in id)
            if (c is < '!' or > '~') return false;
        return true;
    }
}
