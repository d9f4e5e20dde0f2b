using System.Security.Cryptography;

namespace Xenon.Devices.Virtio.Rng;

/// <summary>Where virtio-rng's bytes come from. Fills guest RAM directly, so it must not allocate per call.</summary>
public interface IEntropySource
{
    void Fill(Span<byte> destination);
}

/// <summary>The host kernel's CSPRNG (getrandom, as /dev/urandom), through .NET's <see cref="RandomNumberGenerator"/>.</summary>
public sealed class SystemEntropySource : IEntropySource
{
    public static SystemEntropySource Instance { get; } = new();

    private SystemEntropySource()
    {
    }

    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
