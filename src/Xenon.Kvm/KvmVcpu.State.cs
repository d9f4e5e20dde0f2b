using System.Runtime.InteropServices;
using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>The rest of a vCPU's architectural state, for save/restore and migration: XSAVE, XCRs, pending events,
/// debug registers and the CPUID table it was given. Like the register accessors, vCPU-thread only.</summary>
public sealed unsafe partial class KvmVcpu
{
    /// <summary>KVM_GET_XSAVE2 (or KVM_GET_XSAVE for a 4096-byte buffer): the XSAVE image into <paramref name="image"/>,
    /// whose length must be what <see cref="KvmVm.XsaveSize"/> reports.</summary>
    public void GetXsave(Span<byte> image)
    {
        CheckXsaveLength(image.Length);
        fixed (byte* p = image)
        {
            // KVM_GET_XSAVE copies exactly 4096 bytes; KVM_GET_XSAVE2 copies the VM's XSAVE2 size
            if (image.Length == KvmXsave.LegacySize) Ioctl.Call(_fd, "KVM_GET_XSAVE", KvmIoctls.GetXsave, p);
            else Ioctl.Call(_fd, "KVM_GET_XSAVE2", KvmIoctls.GetXsave2, p);
        }
    }

    /// <summary>KVM_SET_XSAVE: reads as many bytes as the VM's XSAVE2 size, so <paramref name="image"/> must be that long.</summary>
    public void SetXsave(ReadOnlySpan<byte> image)
    {
        CheckXsaveLength(image.Length);
        fixed (byte* p = image) Ioctl.Call(_fd, "KVM_SET_XSAVE", KvmIoctls.SetXsave, p);
    }

    private static void CheckXsaveLength(int length)
    {
        if (length < KvmXsave.LegacySize)
            throw new ArgumentException($"an XSAVE image is at least {KvmXsave.LegacySize} bytes, got {length}");
    }

    public KvmXcrs GetXcrs()
    {
        KvmXcrs xcrs;
        Ioctl.Call(_fd, "KVM_GET_XCRS", KvmIoctls.GetXcrs, &xcrs);
        return xcrs;
    }

    public void SetXcrs(in KvmXcrs xcrs)
    {
        fixed (KvmXcrs* p = &xcrs) Ioctl.Call(_fd, "KVM_SET_XCRS", KvmIoctls.SetXcrs, p);
    }

    public KvmVcpuEvents GetVcpuEvents()
    {
        KvmVcpuEvents events;
        Ioctl.Call(_fd, "KVM_GET_VCPU_EVENTS", KvmIoctls.GetVcpuEvents, &events);
        return events;
    }

    public void SetVcpuEvents(in KvmVcpuEvents events)
    {
        fixed (KvmVcpuEvents* p = &events) Ioctl.Call(_fd, "KVM_SET_VCPU_EVENTS", KvmIoctls.SetVcpuEvents, p);
    }

    public KvmDebugRegs GetDebugRegs()
    {
        KvmDebugRegs regs;
        Ioctl.Call(_fd, "KVM_GET_DEBUGREGS", KvmIoctls.GetDebugregs, &regs);
        return regs;
    }

    public void SetDebugRegs(in KvmDebugRegs regs)
    {
        fixed (KvmDebugRegs* p = &regs) Ioctl.Call(_fd, "KVM_SET_DEBUGREGS", KvmIoctls.SetDebugregs, p);
    }

    /// <summary>KVM_GET_CPUID2: the CPUID table this vCPU was given with KVM_SET_CPUID2 (empty if none).</summary>
    public KvmCpuidEntry2[] GetCpuid()
    {
        // KVM answers E2BIG when the buffer is too small. On success older kernels (6.1 among them) leave nent as
        // passed instead of the count copied, so the buffer is pre-filled with a sentinel no real leaf has, and the
        // table ends at the first sentinel entry or at nent, whichever comes first.
        for (int capacity = 64; capacity <= 4096; capacity *= 2)
        {
            int bytes = sizeof(KvmCpuid2Header) + capacity * sizeof(KvmCpuidEntry2);
            byte* buffer = (byte*)NativeMemory.Alloc((nuint)bytes);
            try
            {
                new Span<byte>(buffer, bytes).Fill(0xff);
                var header = (KvmCpuid2Header*)buffer;
                header->Nent = (uint)capacity;
                header->Padding = 0;
                int rc = Ioctl.TryCall(_fd, KvmIoctls.GetCpuid2, buffer, out int errno);
                if (rc < 0 && errno == Errno.E2BIG) continue;
                if (rc < 0) throw new KvmException("KVM_GET_CPUID2", errno);
                var entries = new ReadOnlySpan<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2Header), (int)Math.Min(header->Nent, (uint)capacity));
                int count = 0;
                while (count < entries.Length && !IsSentinel(entries[count])) count++;
                return entries[..count].ToArray();
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
        throw new KvmException("KVM_GET_CPUID2", Errno.E2BIG);
    }

    // Array overloads of KVM_SET_CPUID2 and KVM_SET_MSRS for the restore path, pinning the array itself: the span
    // versions' array-to-span conversion over these structs has no ReadyToRun code in a caller's image, and its
    // compilation ran inside a restore's and a migration's downtime (3 methods each, 25-100 ms under the nested TCG).

    /// <summary>KVM_SET_CPUID2 with <paramref name="entries"/>.</summary>
    public void SetCpuid(KvmCpuidEntry2[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        fixed (KvmCpuidEntry2* first = entries) SetCpuid(first, entries.Length);
    }

    /// <summary>KVM_SET_MSRS with <paramref name="entries"/>. Returns how many KVM accepted: it stops at the first it refuses.</summary>
    public int SetMsrs(KvmMsrEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        fixed (KvmMsrEntry* first = entries) return SetMsrs(first, entries.Length);
    }

    private static bool IsSentinel(in KvmCpuidEntry2 e) => e.Function == uint.MaxValue && e.Index == uint.MaxValue && e.Flags == uint.MaxValue;
}
