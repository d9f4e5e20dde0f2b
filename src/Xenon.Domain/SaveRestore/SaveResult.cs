namespace Xenon.Domain.SaveRestore;

/// <summary>What a save wrote and how long the guest stood still for it.</summary>
/// <param name="Bytes">Size of the file.</param>
/// <param name="Downtime">From the vCPUs' pause until the file was committed.</param>
public sealed record SaveResult(string Path, long Bytes, ulong DataPages, ulong ZeroPages, int Devices, TimeSpan Downtime)
{
    public override string ToString() =>
        $"{Path}: {Bytes} bytes, {DataPages} data pages, {ZeroPages} zero pages, {Devices} devices, {Downtime.TotalMilliseconds:0.0} ms";
}
