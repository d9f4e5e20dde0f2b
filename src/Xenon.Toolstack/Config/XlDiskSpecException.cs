namespace Xenon.Toolstack.Config;

/// <summary>A <c>disk</c> entry that does not follow xl-disk-configuration(5). The message quotes the whole spec
/// and names the part at fault: <c>disk spec "a.img,,xvda,x": access: expected ro or rw, got "x"</c>.</summary>
public sealed class XlDiskSpecException : FormatException
{
    public XlDiskSpecException(string spec, string? part, string reason)
        : base(part is null ? $"disk spec \"{spec}\": {reason}" : $"disk spec \"{spec}\": {part}: {reason}")
    {
        Spec = spec;
        Part = part;
        Reason = reason;
    }

    public string Spec { get; }

    /// <summary>The parameter at fault (<c>access</c>, <c>vdev</c>, ...), or null when the spec as a whole is wrong.</summary>
    public string? Part { get; }

    public string Reason { get; }
}
