namespace Xenon.Domain.SaveRestore;

/// <summary>A device's state record, kept until it can be applied: its id, its blob, and where it was in the stream (for
/// errors). A class, not a tuple: a list of a value tuple has no ReadyToRun code, and its JIT ran inside the restore.</summary>
internal sealed record PendingDeviceState(string Id, byte[] State, long Offset);
