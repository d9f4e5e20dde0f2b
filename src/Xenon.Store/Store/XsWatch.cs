namespace Xenon.Store.Store;

/// <summary>
/// A registered watch: the canonical path watched, the client's token, and how many leading
/// characters to strip from event paths when the client registered it relative to its domain.
/// </summary>
internal sealed record XsWatch(string Path, byte[] Token, int RelativePrefixLength);
