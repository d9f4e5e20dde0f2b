namespace Xenon.Domain.Save;

/// <summary>Bounds the reader enforces before it trusts a length from the stream.</summary>
/// <param name="MaxRecordLength">Largest payload accepted (the writer's largest is a MemoryPages record of about 4 MiB,
/// or a device blob of up to 16 MiB).</param>
/// <param name="MaxVcpus">vCPU indices must be below this.</param>
public sealed record SaveReaderLimits(ulong MaxRecordLength = 32UL << 20, int MaxVcpus = 4096)
{
    public static SaveReaderLimits Default { get; } = new();
}
