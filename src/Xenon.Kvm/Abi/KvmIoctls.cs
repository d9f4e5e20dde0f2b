using System.Runtime.CompilerServices;

namespace Xenon.Kvm.Abi;

/// <summary>KVM ioctl request numbers, built the way <c>&lt;asm-generic/ioctl.h&gt;</c> builds them
/// (direction in bits 30–31, argument size in 16–29, type 0xAE in 8–15, number in 0–7).
/// The layout test checks each against the C headers.</summary>
internal static class KvmIoctls
{
    private const uint Kvmio = 0xAE;
    private const uint DirNone = 0, DirWrite = 1, DirRead = 2;

    private static nuint Io(uint nr) => Make(DirNone, nr, 0);
    private static nuint Ior<T>(uint nr) where T : unmanaged => Make(DirRead, nr, Unsafe.SizeOf<T>());
    private static nuint Iow<T>(uint nr) where T : unmanaged => Make(DirWrite, nr, Unsafe.SizeOf<T>());
    private static nuint Iowr<T>(uint nr) where T : unmanaged => Make(DirRead | DirWrite, nr, Unsafe.SizeOf<T>());
    private static nuint Make(uint dir, uint nr, int size) => (nuint)((dir << 30) | ((uint)size << 16) | (Kvmio << 8) | nr);

    // /dev/kvm
    internal static readonly nuint GetApiVersion = Io(0x00);
    internal static readonly nuint CreateVm = Io(0x01);
    internal static readonly nuint GetMsrIndexList = Iowr<KvmMsrListHeader>(0x02);
    internal static readonly nuint CheckExtension = Io(0x03);
    internal static readonly nuint GetVcpuMmapSize = Io(0x04);
    internal static readonly nuint GetSupportedCpuid = Iowr<KvmCpuid2Header>(0x05);

    // VM fd
    internal static readonly nuint CreateVcpu = Io(0x41);
    internal static readonly nuint GetDirtyLog = Iow<KvmDirtyLog>(0x42);
    internal static readonly nuint SetUserMemoryRegion = Iow<KvmUserspaceMemoryRegion>(0x46);
    internal static readonly nuint SetTssAddr = Io(0x47);
    internal static readonly nuint SetIdentityMapAddr = Iow<ulong>(0x48);
    internal static readonly nuint CreateIrqchip = Io(0x60);
    internal static readonly nuint IrqLine = Iow<KvmIrqLevel>(0x61);
    internal static readonly nuint GetIrqchip = Iowr<KvmIrqchip>(0x62);
    // _IOR although the kernel reads it: the header declares it so, and the number is what matters
    internal static readonly nuint SetIrqchip = Ior<KvmIrqchip>(0x63);
    internal static readonly nuint SetGsiRouting = Iow<KvmIrqRoutingHeader>(0x6a);
    internal static readonly nuint Irqfd = Iow<KvmIrqfd>(0x76);
    internal static readonly nuint CreatePit2 = Iow<KvmPitConfig>(0x77);
    internal static readonly nuint RegisterCoalescedMmio = Iow<KvmCoalescedMmioZone>(0x67);
    internal static readonly nuint Ioeventfd = Iow<KvmIoeventfd>(0x79);
    internal static readonly nuint SetClock = Iow<KvmClockData>(0x7b);
    internal static readonly nuint GetClock = Ior<KvmClockData>(0x7c);
    internal static readonly nuint GetPit2 = Ior<KvmPitState2>(0x9f);
    internal static readonly nuint SetPit2 = Iow<KvmPitState2>(0xa0);
    internal static readonly nuint EnableCap = Iow<KvmEnableCap>(0xa3);
    internal static readonly nuint SignalMsi = Iow<KvmMsi>(0xa5);

    // vCPU fd
    internal static readonly nuint Run = Io(0x80);
    internal static readonly nuint GetRegs = Ior<KvmRegs>(0x81);
    internal static readonly nuint SetRegs = Iow<KvmRegs>(0x82);
    internal static readonly nuint GetSregs = Ior<KvmSregs>(0x83);
    internal static readonly nuint SetSregs = Iow<KvmSregs>(0x84);
    internal static readonly nuint GetMsrs = Iowr<KvmMsrsHeader>(0x88);
    internal static readonly nuint SetMsrs = Iow<KvmMsrsHeader>(0x89);
    internal static readonly nuint GetFpu = Ior<KvmFpu>(0x8c);
    internal static readonly nuint SetFpu = Iow<KvmFpu>(0x8d);
    internal static readonly nuint GetLapic = Ior<KvmLapicState>(0x8e);
    internal static readonly nuint SetLapic = Iow<KvmLapicState>(0x8f);
    internal static readonly nuint SetCpuid2 = Iow<KvmCpuid2Header>(0x90);
    internal static readonly nuint GetCpuid2 = Iowr<KvmCpuid2Header>(0x91);
    internal static readonly nuint GetMpState = Ior<KvmMpState>(0x98);
    internal static readonly nuint SetMpState = Iow<KvmMpState>(0x99);
    internal static readonly nuint GetVcpuEvents = Ior<KvmVcpuEvents>(0x9f);
    internal static readonly nuint SetVcpuEvents = Iow<KvmVcpuEvents>(0xa0);
    internal static readonly nuint GetDebugregs = Ior<KvmDebugRegs>(0xa1);
    internal static readonly nuint SetDebugregs = Iow<KvmDebugRegs>(0xa2);
    internal static readonly nuint SetTscKhz = Io(0xa2);
    internal static readonly nuint GetTscKhz = Io(0xa3);
    internal static readonly nuint GetXsave = Ior<KvmXsave>(0xa4);
    internal static readonly nuint SetXsave = Iow<KvmXsave>(0xa5);
    internal static readonly nuint GetXcrs = Ior<KvmXcrs>(0xa6);
    internal static readonly nuint SetXcrs = Iow<KvmXcrs>(0xa7);
    /// <summary>Like GetXsave, but copies as many bytes as KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) reports (at least 4096).</summary>
    internal static readonly nuint GetXsave2 = Ior<KvmXsave>(0xcf);
}
