using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Pci;

/// <summary>
/// A function whose configuration space is plain registers: the usual base for device models.
/// It defines the BARs in the configuration space from the list it is given; models with
/// registers that act on access (virtio's configuration-access capability) override the config methods.
/// </summary>
public class PciDevice : IPciDevice, IStatefulDevice
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

    /// <summary>"pci:" and the function's name: the builder gives every function a distinct name.</summary>
    public virtual string StateId => "pci:" + Name;

    /// <summary>Saves the configuration space (kind "pci-function"); models with more state override both methods.</summary>
    public virtual int SaveState(IBufferWriter<byte> output) => PciFunctionStateCodec.Write(output, Config.GetState());

    /// <summary>Restores the configuration space. The BARs move when the root's <see cref="PciRoot.RefreshMappings"/> runs
    /// (the root's own restore does it once every function is back).</summary>
    public virtual void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(PciFunctionStateCodec.Kind, PciFunctionStateCodec.Read(state), Config.SetState);

    /// <summary>Nothing to finish for plain registers (see <see cref="IStatefulDevice.RestoreCompleted"/>).</summary>
    public virtual void RestoreCompleted()
    {
    }
}
