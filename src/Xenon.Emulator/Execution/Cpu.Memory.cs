using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Memory access: segment + offset → linear (canonical check), linear → physical (MMU), physical → RAM or MMIO.
/// Every accessor returns false with a pending fault instead of throwing.</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// A memory operand whose translation is done, so the write that follows cannot fault: an instruction first resolves
    /// every operand, then computes, then commits.
    /// </summary>
    internal struct PhysRef
    {
        public ulong Phys1;
        public ulong Phys2;
        /// <summary>Bytes in the first page; equal to Size unless the access crosses a page boundary.</summary>
        public int Split;
        public int Size;
    }

    internal bool Linear(int seg, ulong offset, out ulong linear)
    {
        if (_s.Is64BitCode)
        {
            linear = seg >= Seg.Fs ? offset + _s.Segments[seg].Base : offset;
            if (!IsCanonical(linear)) return Fault(seg == Seg.Ss ? Vector.SS : Vector.GP, 0);
            return true;
        }
        linear = (offset + _s.Segments[seg].Base) & 0xFFFFFFFF;
        return true;
    }

    internal static bool IsCanonical(ulong a) => (ulong)(((long)a << 16) >> 16) == a;

    private bool UserAccess => _s.Cpl == 3;

    internal bool Translate(ulong linear, AccessKind kind, bool user, out ulong phys)
    {
        if (_mmu.Translate(linear, kind, user, out phys, out uint error)) return true;
        _s.Cr2 = linear;
        return Fault(Vector.PF, error);
    }

    internal bool TranslateRange(ulong linear, int size, AccessKind kind, bool user, out PhysRef r)
    {
        r = default;
        r.Size = size;
        if (!Translate(linear, kind, user, out r.Phys1)) return false;
        int first = 0x1000 - (int)(linear & 0xFFF);
        if (first >= size)
        {
            r.Split = size;
            return true;
        }
        r.Split = first;
        return Translate(linear + (ulong)first, kind, user, out r.Phys2);
    }

    internal bool ReadLinear(ulong linear, int size, out ulong value, bool user)
    {
        if (TryReadHost(linear, size, user, out value)) return true;
        if (!TranslateRange(linear, size, AccessKind.Read, user, out PhysRef r)) return false;
        value = ReadPhys(in r);
        if (r.Split == size) RecordHost(linear, r.Phys1);
        return true;
    }

    internal bool ReadLinear(ulong linear, int size, out ulong value) => ReadLinear(linear, size, out value, UserAccess);

    internal bool WriteLinear(ulong linear, int size, ulong value, bool user)
    {
        if (TryWriteHost(linear, size, user, value)) return true;
        if (!TranslateRange(linear, size, AccessKind.Write, user, out PhysRef r)) return false;
        WritePhys(in r, value);
        if (r.Split == size) RecordHost(linear, r.Phys1);
        return true;
    }

    internal bool WriteLinear(ulong linear, int size, ulong value) => WriteLinear(linear, size, value, UserAccess);

    internal bool ReadMem(int seg, ulong offset, int size, out ulong value)
    {
        value = 0;
        return Linear(seg, offset, out ulong lin) && ReadLinear(lin, size, out value);
    }

    internal bool WriteMem(int seg, ulong offset, int size, ulong value) =>
        Linear(seg, offset, out ulong lin) && WriteLinear(lin, size, value);

    internal ulong ReadPhys(in PhysRef r)
    {
        if (r.Split == r.Size) return ReadPhys(r.Phys1, r.Size);
        ulong v = 0;
        for (int i = 0; i < r.Size; i++)
        {
            ulong pa = i < r.Split ? r.Phys1 + (ulong)i : r.Phys2 + (ulong)(i - r.Split);
            v |= ReadPhys(pa, 1) << (8 * i);
        }
        return v;
    }

    internal void WritePhys(in PhysRef r, ulong value)
    {
        if (r.Split == r.Size)
        {
            WritePhys(r.Phys1, r.Size, value);
            return;
        }
        for (int i = 0; i < r.Size; i++)
        {
            ulong pa = i < r.Split ? r.Phys1 + (ulong)i : r.Phys2 + (ulong)(i - r.Split);
            WritePhys(pa, 1, value >> (8 * i));
        }
    }

    internal ulong ReadPhys(ulong pa, int size)
    {
        Span<byte> ram = _mem.GetRam(pa, size);
        if (ram.IsEmpty) return _mem.ReadMmio(pa, size);
        return size switch
        {
            1 => ram[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(ram),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(ram),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(ram),
        };
    }

    internal void WritePhys(ulong pa, int size, ulong value)
    {
        Span<byte> ram = _mem.GetRam(pa, size);
        if (ram.IsEmpty)
        {
            _mem.WriteMmio(pa, size, value);
            return;
        }
        switch (size)
        {
            case 1: ram[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(ram, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(ram, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(ram, value); break;
        }
        AfterCodeWrite(pa >> 12);
    }

    /// <summary>
    /// LOCK: replaces <paramref name="expected"/> with <paramref name="value"/> atomically when the operand is naturally
    /// in RAM; returns false if memory no longer held <paramref name="expected"/> (the caller recomputes). A misaligned
    /// operand, even one across a cache line, is one host LOCK CMPXCHG on the same bytes (the host CPU makes that
    /// atomic, as the guest's would). One that crosses into another page is atomic too when the two guest pages are
    /// adjacent in the same RAM region (the kernel's direct map: host memory is contiguous there). Otherwise (pages
    /// mapped apart, or MMIO) no host atomic covers it and it is written plainly; a guest doing that would be taking a
    /// split lock across pages, which Linux never does.
    /// </summary>
    internal bool CompareExchangePhys(in PhysRef r, ulong expected, ulong value)
    {
        bool adjacent = r.Split == r.Size || r.Phys2 == r.Phys1 + (ulong)r.Split;
        Span<byte> ram = adjacent ? _mem.GetRam(r.Phys1, r.Size) : [];
        if (ram.IsEmpty)
        {
            WritePhys(in r, value);
            return true;
        }
        bool ok = r.Size switch
        {
            1 => Interlocked.CompareExchange(ref ram[0], (byte)value, (byte)expected) == (byte)expected,
            2 => Interlocked.CompareExchange(ref MemoryMarshal.Cast<byte, ushort>(ram)[0], (ushort)value, (ushort)expected) == (ushort)expected,
            4 => Interlocked.CompareExchange(ref MemoryMarshal.Cast<byte, uint>(ram)[0], (uint)value, (uint)expected) == (uint)expected,
            _ => Interlocked.CompareExchange(ref MemoryMarshal.Cast<byte, ulong>(ram)[0], value, expected) == expected,
        };
        if (ok)
        {
            AfterCodeWrite(r.Phys1 >> 12);
            if (r.Split != r.Size) AfterCodeWrite(r.Phys2 >> 12);
        }
        return ok;
    }

    // Supervisor-mode ("implicit") accesses used for descriptor tables, the TSS and the IDT, whatever the CPL.
    internal bool ReadSystem(ulong linear, int size, out ulong value) => ReadLinear(linear, size, out value, user: false);
    internal bool WriteSystem(ulong linear, int size, ulong value) => WriteLinear(linear, size, value, user: false);
}
