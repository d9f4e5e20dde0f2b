namespace Xenon.Domain.Save;

/// <summary>The stream header: which domain the stream holds and how it was written.</summary>
/// <param name="DomainName">1–255 bytes of UTF-8.</param>
public sealed record SaveHeader(string DomainName, Guid Uuid, SaveFlags Flags = SaveFlags.None);
