namespace Xenon.Domain.Migration;

/// <summary>What the receiving side read and how long each part took, from the first byte of the stream.</summary>
/// <param name="StreamRead">Until End had been read and checked.</param>
/// <param name="Applied">From End until the state was applied, confirmed and the go received (the receiver's share of the downtime).</param>
public sealed record MigrationReceiveResult(ulong DataPages, ulong ZeroPages, int Devices, bool Paused, TimeSpan StreamRead,
    TimeSpan Applied, TimeSpan Total)
{
    public override string ToString() => FormattableString.Invariant(
        $"{DataPages} data pages, {ZeroPages} zero pages, {Devices} devices; stream read in {StreamRead.TotalMilliseconds:0} ms, state applied and go received {Applied.TotalMilliseconds:0.0} ms after End{(Paused ? "; left paused" : "")}");
}
