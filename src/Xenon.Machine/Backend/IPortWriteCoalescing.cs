namespace Xenon.Machine.Backend;

/// <summary>
/// An optional capability of an <see cref="IVmBackend"/>: guest writes to a port range complete without an exit and
/// reach the exit handler later, in the order the guest made them, before the next exit of any vCPU is handled (KVM's
/// coalesced PIO). Worth it for a write-only latch whose value matters only to the access that follows it, such as
/// PCI's CONFIG_ADDRESS: each configuration access then costs one exit instead of two. Reads still exit.
/// </summary>
public interface IPortWriteCoalescing
{
    /// <summary>Coalesces writes that fall wholly inside [<paramref name="port"/>, +<paramref name="count"/>). False
    /// (and nothing changed) when the backend cannot; writes then exit as before.</summary>
    bool CoalescePortWrites(ushort port, ushort count);
}
