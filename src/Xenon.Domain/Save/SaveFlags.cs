namespace Xenon.Domain.Save;

/// <summary>
/// Header flags. Bits 0–15 are informational: a reader ignores those it does not know. Bits 16–31 change how the
/// stream must be read: a reader refuses a stream with one it does not know.
/// </summary>
[Flags]
public enum SaveFlags : uint
{
    None = 0,

    /// <summary>Written by a live migration: memory comes in several passes, so a page may appear more than once (the last copy wins).</summary>
    Live = 1 << 0,
}

internal static class SaveFlagMasks
{
    public const uint Known = (uint)SaveFlags.Live;
    public const uint Critical = 0xffff_0000;
}
