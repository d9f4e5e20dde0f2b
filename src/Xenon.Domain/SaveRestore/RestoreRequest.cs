namespace Xenon.Domain.SaveRestore;

/// <summary>Start a domain from a saved file (xl restore FILE), left paused with <paramref name="Paused"/> (-p).</summary>
public sealed record RestoreRequest(string Path, bool Paused);
