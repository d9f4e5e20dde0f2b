using System.Runtime.InteropServices;
using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>One KVM virtual machine: memory slots, in-kernel interrupt controllers, interrupt lines,
/// dirty logging, ioeventfd/irqfd, GSI routing, kvmclock, and vCPU creation. Thread-safe: each call is one ioctl.</summary>
public sealed unsafe partial class KvmVm : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly int _vcpuMmapSize;

    internal KvmVm(FileDescriptor fd, int vcpuMmapSize)
    {
        _fd = fd;
        _vcpuMmapSize = vcpuMmapSize;
    }

    /// <summary>KVM_CHECK_EXTENSION on the VM (some answers depend on the VM, e.g. memslot limits).</summary>
    public int CheckExtension(KvmCapability capability)
        => Ioctl.Call(_fd, "KVM_CHECK_EXTENSION", KvmIoctls.CheckExtension, (nuint)capability);

    /// <summary>KVM_SET_USER_MEMORY_REGION. A size of 0 deletes the slot.</summary>
    public void SetUserMemoryRegion(uint slot, ulong guestPhysAddr, ulong size, nint hostAddress, KvmMemoryFlags flags = KvmMemoryFlags.None)
    {
        var region = new KvmUserspaceMemoryRegion
        {
            Slot = slot,
            Flags = (uint)flags,
            GuestPhysAddr = guestPhysAddr,
            MemorySize = size,
            UserspaceAddr = (ulong)hostAddress,
        };
        Ioctl.Call(_fd, "KVM_SET_USER_MEMORY_REGION", KvmIoctls.SetUserMemoryRegion, &region);
    }

    /// <summary>KVM_SET_TSS_ADDR: three pages of guest-physical space KVM needs on Intel (real-mode emulation).</summary>
    public void SetTssAddr(ulong address) => Ioctl.Call(_fd, "KVM_SET_TSS_ADDR", KvmIoctls.SetTssAddr, (nuint)address);

    /// <summary>KVM_SET_IDENTITY_MAP_ADDR: one page for the identity-map page table KVM needs on Intel without unrestricted guest.</summary>
    public void SetIdentityMapAddr(ulong address) => Ioctl.Call(_fd, "KVM_SET_IDENTITY_MAP_ADDR", KvmIoctls.SetIdentityMapAddr, &address);

    /// <summary>KVM_CREATE_IRQCHIP: in-kernel PIC pair, IOAPIC and local APICs.</summary>
    public void CreateIrqchip() => Ioctl.Call(_fd, "KVM_CREATE_IRQCHIP", KvmIoctls.CreateIrqchip, 0);

    /// <summary>KVM_CREATE_PIT2: in-kernel i8254.</summary>
    public void CreatePit2(uint flags = 0)
    {
        var config = new KvmPitConfig { Flags = flags };
        Ioctl.Call(_fd, "KVM_CREATE_PIT2", KvmIoctls.CreatePit2, &config);
    }

    /// <summary>KVM_IRQ_LINE: drives an interrupt input (GSI) of the in-kernel irqchip high or low.</summary>
    public void SetIrqLine(uint gsi, bool high)
    {
        var level = new KvmIrqLevel { Irq = gsi, Level = high ? 1u : 0u };
        Ioctl.Call(_fd, "KVM_IRQ_LINE", KvmIoctls.IrqLine, &level);
    }

    /// <summary>KVM_GET_DIRTY_LOG: fills <paramref name="bitmap"/> (one bit a page of the slot) and resets the slot's log.</summary>
    /// <param name="pageCount">Pages in the slot; the bitmap must hold at least that many bits rounded up to 64.</param>
    public void GetDirtyLog(uint slot, ulong pageCount, Span<ulong> bitmap)
    {
        ulong words = (pageCount + 63) / 64;
        if ((ulong)bitmap.Length < words)
            throw new ArgumentException($"dirty bitmap for {pageCount} pages needs {words} words, got {bitmap.Length}", nameof(bitmap));
        fixed (ulong* p = bitmap)
        {
            var log = new KvmDirtyLog { Slot = slot, DirtyBitmap = (ulong)p };
            Ioctl.Call(_fd, "KVM_GET_DIRTY_LOG", KvmIoctls.GetDirtyLog, &log);
        }
    }

    /// <summary>KVM_IOEVENTFD: a guest write of <paramref name="length"/> bytes (0 = any) to <paramref name="address"/>
    /// signals <paramref name="eventFd"/> in the kernel, without an exit to user space.</summary>
    /// <param name="datamatch">If set, only writes of this value signal.</param>
    public void RegisterIoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch = null)
        => IoEventFd(eventFd, address, length, pio, datamatch, deassign: false);

    public void UnregisterIoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch = null)
        => IoEventFd(eventFd, address, length, pio, datamatch, deassign: true);

    private void IoEventFd(EventFd eventFd, ulong address, uint length, bool pio, ulong? datamatch, bool deassign)
    {
        var flags = KvmIoeventfdFlags.None;
        if (pio) flags |= KvmIoeventfdFlags.Pio;
        if (datamatch.HasValue) flags |= KvmIoeventfdFlags.Datamatch;
        if (deassign) flags |= KvmIoeventfdFlags.Deassign;
        bool added = false;
        try
        {
            eventFd.Handle.DangerousAddRef(ref added);
            var request = new KvmIoeventfd
            {
                Datamatch = datamatch ?? 0,
                Addr = address,
                Len = length,
                Fd = eventFd.Handle.Number,
                Flags = (uint)flags,
            };
            Ioctl.Call(_fd, "KVM_IOEVENTFD", KvmIoctls.Ioeventfd, &request);
        }
        finally
        {
            if (added) eventFd.Handle.DangerousRelease();
        }
    }

    /// <summary>KVM_IRQFD: signalling <paramref name="eventFd"/> injects <paramref name="gsi"/> (an edge, or with
    /// <paramref name="resample"/> a level that is lowered and reported there when the guest EOIs).</summary>
    public void AssignIrqFd(EventFd eventFd, uint gsi, EventFd? resample = null)
        => IrqFd(eventFd, gsi, resample, deassign: false);

    public void DeassignIrqFd(EventFd eventFd, uint gsi) => IrqFd(eventFd, gsi, null, deassign: true);

    private void IrqFd(EventFd eventFd, uint gsi, EventFd? resample, bool deassign)
    {
        bool added = false, addedResample = false;
        try
        {
            eventFd.Handle.DangerousAddRef(ref added);
            resample?.Handle.DangerousAddRef(ref addedResample);
            var request = new KvmIrqfd
            {
                Fd = (uint)eventFd.Handle.Number,
                Gsi = gsi,
                Flags = (deassign ? KvmIrqfd.FlagDeassign : 0) | (resample is null ? 0 : KvmIrqfd.FlagResample),
                Resamplefd = resample is null ? 0 : (uint)resample.Handle.Number,
            };
            Ioctl.Call(_fd, "KVM_IRQFD", KvmIoctls.Irqfd, &request);
        }
        finally
        {
            if (addedResample) resample!.Handle.DangerousRelease();
            if (added) eventFd.Handle.DangerousRelease();
        }
    }

    /// <summary>KVM_SIGNAL_MSI: injects one MSI (x86: <paramref name="address"/> in 0xFEExxxxx names the destination APIC,
    /// <paramref name="data"/> the vector and delivery mode) without a GSI route. Needs the in-kernel irqchip.</summary>
    /// <returns>False if the guest blocked it (e.g. its local APIC is disabled); true if delivered.</returns>
    public bool SignalMsi(ulong address, uint data)
    {
        var msi = new KvmMsi { AddressLo = (uint)address, AddressHi = (uint)(address >> 32), Data = data };
        return Ioctl.Call(_fd, "KVM_SIGNAL_MSI", KvmIoctls.SignalMsi, &msi) > 0;
    }

    /// <summary>KVM_SET_GSI_ROUTING: replaces the whole GSI routing table.</summary>
    public void SetGsiRouting(ReadOnlySpan<KvmIrqRoutingEntry> entries)
    {
        int bytes = sizeof(KvmIrqRoutingHeader) + entries.Length * sizeof(KvmIrqRoutingEntry);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            ((KvmIrqRoutingHeader*)buffer)->Nr = (uint)entries.Length;
            entries.CopyTo(new Span<KvmIrqRoutingEntry>(buffer + sizeof(KvmIrqRoutingHeader), entries.Length));
            Ioctl.Call(_fd, "KVM_SET_GSI_ROUTING", KvmIoctls.SetGsiRouting, buffer);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>KVM_ENABLE_CAP on the VM.</summary>
    public void EnableCap(KvmCapability capability, ulong arg0 = 0, ulong arg1 = 0, ulong arg2 = 0, ulong arg3 = 0)
    {
        var request = new KvmEnableCap { Cap = (uint)capability };
        request.Args[0] = arg0;
        request.Args[1] = arg1;
        request.Args[2] = arg2;
        request.Args[3] = arg3;
        Ioctl.Call(_fd, "KVM_ENABLE_CAP", KvmIoctls.EnableCap, &request);
    }

    /// <summary>KVM_GET_CLOCK: the guest's kvmclock (ns), for save/migration.</summary>
    public KvmClockData GetClock()
    {
        KvmClockData data = default;
        Ioctl.Call(_fd, "KVM_GET_CLOCK", KvmIoctls.GetClock, &data);
        return data;
    }

    public void SetClock(in KvmClockData data)
    {
        fixed (KvmClockData* p = &data) Ioctl.Call(_fd, "KVM_SET_CLOCK", KvmIoctls.SetClock, p);
    }

    /// <summary>KVM_CREATE_VCPU with the given id (the vCPU's initial APIC id) and maps its kvm_run page.</summary>
    public KvmVcpu CreateVcpu(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        int raw = Ioctl.Call(_fd, "KVM_CREATE_VCPU", KvmIoctls.CreateVcpu, (nuint)id);
        var fd = new FileDescriptor(raw);
        try
        {
            return new KvmVcpu(id, fd, _vcpuMmapSize);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public void Dispose() => _fd.Dispose();
}
