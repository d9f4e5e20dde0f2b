namespace Xenon.Domain.SaveRestore;

/// <summary>A save failed; the message names the file and the step. The domain runs on as before the save, and no
/// part of the file is left behind (an older file of that name is untouched).</summary>
public sealed class DomainSaveException(string message, Exception? inner = null) : Exception(message, inner);
