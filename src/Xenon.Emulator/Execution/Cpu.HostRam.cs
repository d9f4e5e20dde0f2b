using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The RAM fast path of linear accesses: a TLB hit whose entry knows the host address of its RAM page loads or stores
/// there directly, skipping the translation call chain and the machine's RAM lookup (both showed in the profile).
/// Anything else (a miss, a permission the entry lacks, MMIO, an access that crosses the page) goes the slow way,
/// which then records the page's host address for next time.
/// </summary>
public sealed partial class Cpu
{
    // Host pointers are used only for memory that never moves, and only with the fast path on (the interpreter alone
    // stays the reference the tests compare against).
    private bool _hostRam;

    private void UpdateHostRam()
    {
        _hostRam = FastPath && _mem is IStableRam;
        FlushTlb(keepGlobal: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool TryReadHost(ulong linear, int size, bool user, out ulong value)
    {
        ref TlbEntry e = ref _mmu.Tlb.Entry(linear);
        int off = (int)(linear & 0xFFF);
        // Bounds: Host covers exactly the 4 KiB RAM page the entry maps (RecordHost checked it); off + size stays inside.
        if (e.Host != 0 && e.Tag == (linear >> 12) + 1 && (e.Allowed & (user ? 8 : 1)) != 0 && off <= 0x1000 - size &&
            (_s.Cr0 & ControlBits.Cr0PG) != 0)
        {
            byte* p = (byte*)e.Host + off;
            value = size switch
            {
                1 => *p,
                2 => Unsafe.ReadUnaligned<ushort>(p),
                4 => Unsafe.ReadUnaligned<uint>(p),
                _ => Unsafe.ReadUnaligned<ulong>(p),
            };
            return true;
        }
        value = 0;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool TryWriteHost(ulong linear, int size, bool user, ulong value)
    {
        ref TlbEntry e = ref _mmu.Tlb.Entry(linear);
        int off = (int)(linear & 0xFFF);
        // Write permission in the entry means the walk already set the dirty bit (see Mmu.Allowed); bounds as above.
        if (e.Host != 0 && e.Tag == (linear >> 12) + 1 && (e.Allowed & (user ? 16 : 2)) != 0 && off <= 0x1000 - size &&
            (_s.Cr0 & ControlBits.Cr0PG) != 0)
        {
            byte* p = (byte*)e.Host + off;
            switch (size)
            {
                case 1: *p = (byte)value; break;
                case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
                case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
                default: Unsafe.WriteUnaligned(p, value); break;
            }
            AfterCodeWrite(e.PhysPage >> 12);
            return true;
        }
        return false;
    }

    /// <summary>After a slow access that stayed in one page: remembers the host address of its RAM page in the TLB entry.</summary>
    private unsafe void RecordHost(ulong linear, ulong phys)
    {
        if (!_hostRam || (_s.Cr0 & ControlBits.Cr0PG) == 0) return;
        ref TlbEntry e = ref _mmu.Tlb.Entry(linear);
        ulong page = phys & ~0xFFFUL;
        if (e.Tag != (linear >> 12) + 1 || e.PhysPage != page) return;
        Span<byte> ram = _mem.GetRam(page, 0x1000);
        if (ram.IsEmpty) return;
        e.Host = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(ram));
        e.Allowed |= TlbEntry.HostKnown;
    }
}
