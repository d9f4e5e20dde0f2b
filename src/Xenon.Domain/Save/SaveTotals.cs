namespace Xenon.Domain.Save;

/// <summary>What a stream holds before its End record (which repeats these, so a dropped record is noticed).</summary>
/// <param name="Records">Records before End, optional ones included.</param>
/// <param name="DataPages">MemoryPages entries that carried data.</param>
/// <param name="ZeroPages">MemoryPages entries in the zero form.</param>
public readonly record struct SaveTotals(ulong Records, ulong DataPages, ulong ZeroPages);
