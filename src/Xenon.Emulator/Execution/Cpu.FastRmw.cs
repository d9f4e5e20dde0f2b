using System.Runtime.CompilerServices;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Read-modify-write on memory (ALU ops, INC/DEC and shifts with a memory destination) through the TLB entry's host
/// page pointer, as plain loads and stores already go: the entry must grant write permission (the walk grants it only
/// once the page's D bit is set, and never to a page without a host pointer such as MMIO), so the read and the write
/// need the same single check the slow path's write translation makes. Anything else takes the slow way
/// (<c>TranslateRange</c> for writing, then the physical read and write), which records the page's host address for
/// next time.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Whether the fast path's read-modify-write kinds use the host pointer (P12). On by default;
    /// XENON_SOFTCPU_RMW_HOST=0 turns it off, for before/after measurements on one binary.</summary>
    public static bool FastRmwHostDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_RMW_HOST") != "0";

    private bool _fastRmwHost = FastRmwHostDefault;

    /// <summary>See <see cref="FastRmwHostDefault"/>.</summary>
    public bool FastRmwHost
    {
        get => _fastRmwHost;
        set => _fastRmwHost = value;
    }

    /// <summary>Read-modify-writes that went through the host pointer (tests and diagnostics).</summary>
    public long FastRmwHostHits { get; private set; }

    /// <summary>
    /// The host address of <paramref name="size"/> bytes at <paramref name="linear"/> when the TLB entry allows this CPL
    /// to write there and holds its RAM page's host pointer; 0 otherwise. <paramref name="physPage"/> is the entry's
    /// physical page, for the code-page check after the store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint HostForRmw(ulong linear, int size, out ulong physPage)
    {
        ref TlbEntry e = ref _mmu.Tlb.Entry(linear);
        physPage = e.PhysPage;
        int off = (int)(linear & 0xFFF);
        // Bounds: Host covers exactly the 4 KiB RAM page the entry maps (RecordHost checked it); off + size stays inside.
        if (_fastRmwHost && e.Host != 0 && e.Tag == (linear >> 12) + 1 && (e.Allowed & (UserAccess ? 16 : 2)) != 0 &&
            off <= 0x1000 - size && (_s.Cr0 & ControlBits.Cr0PG) != 0)
        {
            FastRmwHostHits++;
            return e.Host + off;
        }
        return 0;
    }

    // Only called with an address HostForRmw returned for the same size (inside one RAM page).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe ulong HostLoad(nint at, int size)
    {
        byte* p = (byte*)at;
        return size switch
        {
            1 => *p,
            2 => Unsafe.ReadUnaligned<ushort>(p),
            4 => Unsafe.ReadUnaligned<uint>(p),
            _ => Unsafe.ReadUnaligned<ulong>(p),
        };
    }

    // Only called with an address HostForRmw returned for the same size (inside one RAM page).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void HostStore(nint at, int size, ulong value)
    {
        byte* p = (byte*)at;
        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
            case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
            default: Unsafe.WriteUnaligned(p, value); break;
        }
    }

    /// <summary>The slow way of a read-modify-write: translated for writing (both pages if it crosses), then read.
    /// A single-page RAM operand's host address is recorded so the next one takes <see cref="HostForRmw"/>.</summary>
    private bool RmwTranslate(ulong linear, int size, out PhysRef r, out ulong value)
    {
        value = 0;
        if (!TranslateRange(linear, size, AccessKind.Write, UserAccess, out r)) return false;
        value = ReadPhys(in r);
        if (_fastRmwHost && r.Split == size) RecordHost(linear, r.Phys1);
        return true;
    }
}
