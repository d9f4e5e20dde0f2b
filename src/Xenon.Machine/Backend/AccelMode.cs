namespace Xenon.Machine.Backend;

/// <summary>Which CPU backend runs a guest (xl.cfg's <c>accel</c>, named after QEMU's <c>-accel</c>).</summary>
public enum AccelMode
{
    /// <summary>KVM where /dev/kvm gives hardware virtualisation, else the software CPU (<see cref="AccelSelection"/>).</summary>
    Auto,

    /// <summary>Linux KVM through /dev/kvm (whatever provides it).</summary>
    Kvm,

    /// <summary>The software x86-64 CPU (Xenon.Emulator): needs nothing from the host.</summary>
    Soft,
}
