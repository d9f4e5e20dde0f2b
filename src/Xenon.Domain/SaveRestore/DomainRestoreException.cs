namespace Xenon.Domain.SaveRestore;

/// <summary>A saved domain cannot be restored: the file is unreadable, corrupt, truncated, of another version, or does
/// not fit the domain its configuration builds. The message names the file and, for a bad stream, the offset.</summary>
public sealed class DomainRestoreException(string message, Exception? inner = null) : Exception(message, inner);
