using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xenon.Emulator.Execution;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Memory;

/// <summary>Page-fault error code bits (SDM 4.7).</summary>
public static class PageFaultError
{
    public const uint Present = 1, Write = 2, User = 4, Reserved = 8, Fetch = 16;
}

/// <summary>
/// Linear → physical translation for all x86 paging modes: none (real mode / PG=0), 32-bit (with PSE 4 MiB pages),
/// PAE, and 4-level long-mode paging with 2 MiB and 1 GiB pages. Checks U/S, R/W (with CR0.WP) and NX, reserved bits,
/// sets Accessed and Dirty atomically, and caches results in a <see cref="Tlb"/>.
/// </summary>
internal sealed class Mmu
{
    /// <summary>MAXPHYADDR reported by CPUID 0x80000008; entry bits above it are reserved.</summary>
    public const int PhysicalAddressBits = 40;
    private const ulong PhysMask = ((1UL << PhysicalAddressBits) - 1) & ~0xFFFUL;
    private const ulong Nx = 1UL << 63;

    private readonly CpuState _s;
    private readonly IPhysicalMemory _mem;
    private readonly CodePageTracker? _pages;
    public readonly Tlb Tlb = new();

    /// <param name="pages">Told of the Accessed/Dirty bits the walk sets: they are writes to guest RAM like any other
    /// (dirty logging must see them, or a page table's copy at a migration's destination loses them).</param>
    public Mmu(CpuState state, IPhysicalMemory memory, CodePageTracker? pages = null)
    {
        _s = state;
        _mem = memory;
        _pages = pages;
    }

    public bool PagingEnabled => (_s.Cr0 & ControlBits.Cr0PG) != 0;

    /// <summary>Translates, or returns false with the #PF error code (the caller sets CR2 and raises the fault).</summary>
    public bool Translate(ulong linear, AccessKind kind, bool user, out ulong phys, out uint error)
    {
        error = 0;
        if (!PagingEnabled)
        {
            phys = _s.LongModeActive ? linear : linear & 0xFFFFFFFF;
            return true;
        }
        int bit = 1 << ((int)kind + (user ? 3 : 0));
        if (Tlb.TryLookup(linear, bit, out phys)) return true;
        return Walk(linear, kind, user, out phys, out error);
    }

    private bool Walk(ulong linear, AccessKind kind, bool user, out ulong phys, out uint error)
    {
        phys = 0;
        bool write = kind == AccessKind.Write;
        bool nxe = (_s.Efer & ControlBits.EferNXE) != 0;
        uint baseError = (write ? PageFaultError.Write : 0) | (user ? PageFaultError.User : 0) |
                         (kind == AccessKind.Execute && nxe ? PageFaultError.Fetch : 0);
        error = baseError;

        bool rw = true, us = true, nx = false;
        ulong pageBase;
        ulong pageSize;
        bool global;
        Span<ulong> entryAddrs = stackalloc ulong[4];
        int levels = 0;
        ulong leaf;
        ulong leafAddr;

        if ((_s.Cr4 & ControlBits.Cr4PAE) == 0)
        {
            // 32-bit paging: two levels of 4-byte entries.
            ulong pdeAddr = (_s.Cr3 & 0xFFFFF000) + ((linear >> 22) & 0x3FF) * 4;
            ulong pde = ReadPhys32(pdeAddr);
            if ((pde & 1) == 0) return false;
            entryAddrs[levels++] = pdeAddr;
            rw &= (pde & 2) != 0;
            us &= (pde & 4) != 0;
            if ((pde & 0x80) != 0 && (_s.Cr4 & ControlBits.Cr4PSE) != 0)
            {
                if ((pde & 0x200000) != 0) { error |= PageFaultError.Present | PageFaultError.Reserved; return false; }
                leaf = pde;
                leafAddr = pdeAddr;
                pageSize = 1UL << 22;
                pageBase = (pde & 0xFFC00000) | ((pde & 0x1FE000) << 19);
            }
            else
            {
                ulong pteAddr = (pde & 0xFFFFF000) + ((linear >> 12) & 0x3FF) * 4;
                ulong pte = ReadPhys32(pteAddr);
                if ((pte & 1) == 0) return false;
                entryAddrs[levels++] = pteAddr;
                rw &= (pte & 2) != 0;
                us &= (pte & 4) != 0;
                leaf = pte;
                leafAddr = pteAddr;
                pageSize = 4096;
                pageBase = pte & 0xFFFFF000;
            }
            global = (leaf & 0x100) != 0 && (_s.Cr4 & ControlBits.Cr4PGE) != 0;
            if (!CheckAccess(kind, user, rw, us, nx, ref error)) return false;
            SetAccessedDirty(entryAddrs[..levels], leafAddr, write, is32: true);
        }
        else
        {
            ulong reservedHigh = ~((1UL << PhysicalAddressBits) - 1) & ~Nx & 0x7FFFFFFFFFFFFFFFUL;
            ulong nxReserved = nxe ? 0 : Nx;
            ulong table;
            int level;
            if (_s.LongModeActive)
            {
                table = _s.Cr3 & PhysMask;
                level = 4;
            }
            else
            {
                // PAE: the PDPTE has no R/W, U/S or NX bits.
                ulong pdpteAddr = (_s.Cr3 & 0xFFFFFFE0) + ((linear >> 30) & 3) * 8;
                ulong pdpte = ReadPhys64(pdpteAddr);
                if ((pdpte & 1) == 0) return false;
                if ((pdpte & (reservedHigh | Nx | 0x1E6)) != 0) { error |= PageFaultError.Present | PageFaultError.Reserved; return false; }
                table = pdpte & PhysMask;
                level = 2;
            }
            while (true)
            {
                int shift = 12 + 9 * (level - 1);
                ulong entryAddr = table + ((linear >> shift) & 0x1FF) * 8;
                ulong e = ReadPhys64(entryAddr);
                if ((e & 1) == 0) return false;
                bool large = level > 1 && (e & 0x80) != 0;
                ulong reserved = reservedHigh | nxReserved;
                if (level == 4 && _s.LongModeActive) reserved |= 0x80; // PS is reserved in a PML4E
                if (large)
                {
                    if (level == 3 && !_s.LongModeActive) reserved |= 0x80;
                    if (level > 3) reserved |= 0x80;
                    reserved |= ((1UL << shift) - 1) & ~0x1FFFUL; // between the PAT bit (12) and the frame
                }
                if ((e & reserved) != 0) { error |= PageFaultError.Present | PageFaultError.Reserved; return false; }
                entryAddrs[levels++] = entryAddr;
                rw &= (e & 2) != 0;
                us &= (e & 4) != 0;
                nx |= nxe && (e & Nx) != 0;
                if (level == 1 || large)
                {
                    leaf = e;
                    leafAddr = entryAddr;
                    pageSize = 1UL << shift;
                    pageBase = e & PhysMask & ~(pageSize - 1);
                    break;
                }
                table = e & PhysMask;
                level--;
            }
            global = (leaf & 0x100) != 0 && (_s.Cr4 & ControlBits.Cr4PGE) != 0;
            if (!CheckAccess(kind, user, rw, us, nx, ref error)) return false;
            SetAccessedDirty(entryAddrs[..levels], leafAddr, write, is32: false);
        }

        ulong offsetInPage = linear & (pageSize - 1);
        phys = pageBase + offsetInPage;
        bool dirty = write || (leaf & 0x40) != 0;
        Tlb.Insert(linear, phys & ~0xFFFUL, Allowed(rw, us, nx, dirty), global, pageSize > 4096);
        return true;
    }

    private byte Allowed(bool rw, bool us, bool nx, bool dirty)
    {
        bool wp = (_s.Cr0 & ControlBits.Cr0WP) != 0;
        int a = 1; // supervisor read
        if (dirty && (rw || !wp)) a |= 2;
        if (!nx) a |= 4;
        if (us)
        {
            a |= 8;
            if (dirty && rw) a |= 16;
            if (!nx) a |= 32;
        }
        return (byte)a;
    }

    private bool CheckAccess(AccessKind kind, bool user, bool rw, bool us, bool nx, ref uint error)
    {
        bool ok = true;
        if (user && !us) ok = false;
        else if (kind == AccessKind.Write && !rw && (user || (_s.Cr0 & ControlBits.Cr0WP) != 0)) ok = false;
        else if (kind == AccessKind.Execute && nx) ok = false;
        if (!ok) error |= PageFaultError.Present;
        return ok;
    }

    private void SetAccessedDirty(ReadOnlySpan<ulong> entries, ulong leafAddr, bool write, bool is32)
    {
        foreach (ulong addr in entries)
        {
            ulong bits = 0x20 | (addr == leafAddr && write ? 0x40UL : 0);
            AtomicOr(addr, bits, is32);
        }
    }

    private void AtomicOr(ulong gpa, ulong bits, bool is32)
    {
        Span<byte> ram = _mem.GetRam(gpa, is32 ? 4 : 8);
        if (ram.IsEmpty) return;
        if (is32)
        {
            ref uint v = ref MemoryMarshal.Cast<byte, uint>(ram)[0];
            if ((v & bits) == bits) return;
            Interlocked.Or(ref v, (uint)bits);
        }
        else
        {
            ref ulong v = ref MemoryMarshal.Cast<byte, ulong>(ram)[0];
            if ((v & bits) == bits) return;
            Interlocked.Or(ref v, bits);
        }
        _pages?.NotifyPageWrite(gpa >> 12); // after the store (the Or is a full fence), as every CPU store does
    }

    private ulong ReadPhys64(ulong gpa)
    {
        Span<byte> ram = _mem.GetRam(gpa, 8);
        return ram.IsEmpty ? _mem.ReadMmio(gpa, 8) : Volatile.Read(ref MemoryMarshal.Cast<byte, ulong>(ram)[0]);
    }

    private ulong ReadPhys32(ulong gpa)
    {
        Span<byte> ram = _mem.GetRam(gpa, 4);
        return ram.IsEmpty ? _mem.ReadMmio(gpa, 4) : BinaryPrimitives.ReadUInt32LittleEndian(ram);
    }
}
