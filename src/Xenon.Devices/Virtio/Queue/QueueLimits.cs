namespace Xenon.Devices.Virtio.Queue;

/// <summary>Caps on what one chain may claim, so a hostile driver cannot make a device loop or reserve absurd buffers.</summary>
public sealed record QueueLimits
{
    /// <summary>
    /// Readable plus writable bytes of one chain. The default keeps every count representable in
    /// the used element's 32-bit length.
    /// </summary>
    public ulong MaxChainBytes { get; init; } = uint.MaxValue;

    /// <summary>Entries of one indirect table. Linux sizes tables by the request's scatter list, far below this.</summary>
    public int MaxIndirectDescriptors { get; init; } = 1024;

    public static QueueLimits Default { get; } = new();
}
