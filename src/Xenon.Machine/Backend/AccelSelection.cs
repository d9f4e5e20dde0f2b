namespace Xenon.Machine.Backend;

/// <summary>The backend a domain gets for its <c>accel</c> setting on this host, and why, in one line for its log.</summary>
/// <param name="Backend"><see cref="AccelMode.Kvm"/> or <see cref="AccelMode.Soft"/>, never Auto.</param>
public sealed record AccelSelection(AccelMode Backend, string Reason)
{
    /// <summary>auto: KVM where it is hardware-assisted, else soft. kvm: KVM whatever provides /dev/kvm (kvm_pvm runs
    /// small guests; the reason warns that a stock kernel crawls on it); an error when there is no usable /dev/kvm.
    /// soft: always.</summary>
    /// <exception cref="AccelUnavailableException">kvm was asked for and /dev/kvm cannot be used.</exception>
    public static AccelSelection Resolve(AccelMode requested, Func<HostVirtualization> probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        switch (requested)
        {
            case AccelMode.Soft:
                return new(AccelMode.Soft, "software CPU (accel = \"soft\")");
            case AccelMode.Kvm:
            {
                var host = probe();
                if (!host.KvmUsable) throw new AccelUnavailableException($"accel = \"kvm\": KVM is not usable on this host: {host.Description}; use accel = \"soft\" or \"auto\"");
                return new(AccelMode.Kvm, host.HardwareAssisted
                    ? $"KVM (accel = \"kvm\"; {host.Description})"
                    : $"KVM (accel = \"kvm\"; {host.Description}: a stock Linux kernel runs very slowly there)");
            }
            case AccelMode.Auto:
            {
                var host = probe();
                return host.HardwareAssisted
                    ? new(AccelMode.Kvm, $"KVM (accel = \"auto\"; {host.Description})")
                    : new(AccelMode.Soft, $"software CPU (accel = \"auto\"; no hardware KVM: {host.Description})");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "unknown accel mode");
        }
    }
}

/// <summary>The backend a domain asked for cannot run on this host; the message says why and what to use instead.</summary>
public sealed class AccelUnavailableException(string message) : Exception(message);
