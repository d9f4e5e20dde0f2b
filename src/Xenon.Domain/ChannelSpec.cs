namespace Xenon.Domain;

/// <summary>One channel (xl's <c>channel=</c>): a named virtio-console port whose host end is a Unix socket server.</summary>
public sealed record ChannelSpec
{
    /// <summary>The port name the guest sees (/sys/class/virtio-ports/vportNpM/name).</summary>
    public required string Name { get; init; }

    /// <summary>Absolute path of the Unix socket the domain process listens on.</summary>
    public required string Path { get; init; }
}
