namespace Xenon.Machine.State;

/// <summary>A serialised state record is malformed: truncated, of an unknown version, or with a field out of range.
/// The message names the field and its byte offset.</summary>
public sealed class StateFormatException(string message) : Exception(message);
