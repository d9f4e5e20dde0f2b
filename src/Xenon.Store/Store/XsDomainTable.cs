namespace Xenon.Store.Store;

/// <summary>A domain introduced to the store (XS_INTRODUCE), with what the toolstack told us.</summary>
internal sealed class XsDomainInfo(uint domId, ulong mfn, uint port)
{
    public uint DomId { get; } = domId;

    public ulong Mfn { get; set; } = mfn;

    public uint Port { get; set; } = port;

    /// <summary>Set by XS_SET_TARGET: this domain acts with the target's rights (a device model).</summary>
    public uint? Target { get; set; }
}

/// <summary>Introduced domains. Domain 0 is always present.</summary>
internal sealed class XsDomainTable
{
    private readonly Dictionary<uint, XsDomainInfo> _domains = new() { [0] = new XsDomainInfo(0, 0, 0) };

    public bool IsIntroduced(uint domId) => _domains.ContainsKey(domId);

    public XsDomainInfo? Get(uint domId) => _domains.GetValueOrDefault(domId);

    public bool Add(uint domId, ulong mfn, uint port)
    {
        if (_domains.TryGetValue(domId, out var existing))
        {
            existing.Mfn = mfn;
            existing.Port = port;
            return false;
        }

        _domains[domId] = new XsDomainInfo(domId, mfn, port);
        return true;
    }

    public bool Remove(uint domId) => _domains.Remove(domId);

    public uint? TargetOf(uint domId) => _domains.GetValueOrDefault(domId)?.Target;
}
