namespace Xenon.Kvm.Net;

/// <summary>TUNSETOFFLOAD flags (TUN_F_*): what the reader of the tap accepts, so what the kernel may hand it
/// (partial checksums, TSO super-frames). Frames written to the tap may always carry any of them.</summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,
    Checksum = 0x01,
    Tso4 = 0x02,
    Tso6 = 0x04,
    TsoEcn = 0x08,
    Ufo = 0x10,
}
