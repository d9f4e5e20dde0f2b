namespace Xenon.Toolstack.Config;

/// <summary>
/// xl.cfg's <c>type</c>. Both kinds direct-boot <c>kernel</c>: PVH through the ELF's PVH entry
/// note (<c>hvm_start_info</c>), HVM through the Linux boot protocol (bzImage). Xen's "pv" type is
/// not offered: Xenon's guests run with PV (virtio) drivers on HVM/PVH, never as PV guests.
/// </summary>
public enum DomainType
{
    Pvh,
    Hvm,
}
