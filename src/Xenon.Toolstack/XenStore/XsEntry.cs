using Xenon.Store.Tree;

namespace Xenon.Toolstack.XenStore;

/// <summary>One node to create: its path, value (null: a directory-like node with an empty value) and permissions
/// (null: inherit the parent's, as xenstored does for WRITE/MKDIR).</summary>
public sealed record XsEntry(string Path, string? Value, XsPerm[]? Perms = null);
