namespace Xenon.Toolstack.XenStore;

/// <summary>One XS_WATCH_EVENT: the path that changed and the token of the watch that matched.</summary>
public readonly record struct XsWatchEvent(string Path, string Token);
