namespace Xenon.Domain.Migration;

/// <summary>The peer sent handshake bytes that are not a valid frame, or not the frame expected at that point; the
/// message names the field.</summary>
public sealed class MigrationProtocolException(string message) : Exception(message);
