namespace Xenon.Devices.Pci;

/// <summary>
/// A function whose configuration space is plain registers: the usual base for device models.
/// It defines the BARs in the configuration space from the list it is given; models with
/// registers that act on access (virtio's configuration-access capability) override the config methods.
/// </summary>
public class PciDevice : IPciDevice
{
    private readonly PciBar[] _bars;

    public PciDevice(string name, PciIdentity identity, IEnumerable<PciBar> bars, int configSize = PciConfigSpace.LegacySize)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(bars);
        Name = name;
        Config = new PciConfigSpace(identity, configSize);
        _bars = [.. bars];
        foreach (var bar in _bars) Config.DefineBar(bar.Index, bar.Kind, bar.Size, bar.Prefetchable);
    }

    public string Name { get; }

    public PciConfigSpace Config { get; }

    public IReadOnlyList<PciBar> Bars => _bars;

    public virtual void ReadConfig(int offset, Span<byte> data) => Config.Read(offset, data);

    public virtual void WriteConfig(int offset, ReadOnlySpan<byte> data) => Config.Write(offset, data);

    public virtual void Reset() => Config.Reset();
}
