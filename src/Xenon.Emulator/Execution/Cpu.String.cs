using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS with REP/REPE/REPNE. A REP instruction runs a bounded number of iterations per
/// execution and restarts itself (RIP unchanged) so interrupts are taken in between; RCX/RSI/RDI always reflect progress,
/// so a fault mid-way restarts correctly. Forward MOVS/STOS within RAM pages copy whole page runs at once.
/// </summary>
public sealed partial class Cpu
{
    private const int MaxIterationsPerExecution = 1 << 16;

    private static int StringAddrSize(OpKind k) => k switch
    {
        OpKind.MemorySegSI or OpKind.MemoryESDI => 2,
        OpKind.MemorySegESI or OpKind.MemoryESEDI => 4,
        _ => 8,
    };

    private static bool IsStringOperand(OpKind k) => k is >= OpKind.MemorySegSI and <= OpKind.MemoryESRDI;

    private ulong AddrMaskOf(int size) => SizeMask(size);

    private void AdvanceIndex(int reg, int addrSize, long delta)
    {
        ulong v = (_s.Gpr[reg] + (ulong)delta) & SizeMask(addrSize);
        _s.Gpr[reg] = addrSize == 8 ? v : addrSize == 4 ? v : (_s.Gpr[reg] & ~0xFFFFUL) | v;
    }

    private void SetCounter(int addrSize, ulong value) =>
        _s.Gpr[1] = addrSize == 2 ? (_s.Gpr[1] & ~0xFFFFUL) | (value & 0xFFFF) : value & SizeMask(addrSize);

    private bool ExecString(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        int size = i.MemorySize.GetSize();
        bool rep = i.HasRepPrefix || i.HasRepnePrefix;
        OpKind k = IsStringOperand(i.Op0Kind) ? i.Op0Kind : i.Op1Kind;
        int asz = StringAddrSize(k);
        ulong amask = AddrMaskOf(asz);
        long step = (_s.FlagsControl & RFlags.DF) != 0 ? -size : size;
        int srcSeg = SegOf(i);
        bool isIo = m is Mnemonic.Insb or Mnemonic.Insw or Mnemonic.Insd or Mnemonic.Outsb or Mnemonic.Outsw or Mnemonic.Outsd;
        if (isIo && !IoAllowed()) return Fault(Vector.GP, 0);

        if (!rep) return StringStep(m, size, asz, step, srcSeg, out _);
        int iterations = 0;
        while (true)
        {
            ulong count = _s.Gpr[1] & amask;
            if (count == 0) return true;
            if (step > 0 && (m is Mnemonic.Movsb or Mnemonic.Movsw or Mnemonic.Movsd or Mnemonic.Movsq or Mnemonic.Stosb or Mnemonic.Stosw
                    or Mnemonic.Stosd or Mnemonic.Stosq))
            {
                int done = BulkForward(m, size, asz, srcSeg, count);
                if (done < 0) return false;
                if (done > 0)
                {
                    iterations += done;
                    if (iterations >= MaxIterationsPerExecution && (_s.Gpr[1] & amask) != 0) { _s.Rip = _instrStart; return true; }
                    continue;
                }
            }
            if (!StringStep(m, size, asz, step, srcSeg, out bool zf)) return false;
            SetCounter(asz, count - 1);
            if (count - 1 == 0) return true;
            if (m is Mnemonic.Cmpsb or Mnemonic.Cmpsw or Mnemonic.Cmpsd or Mnemonic.Cmpsq or Mnemonic.Scasb or Mnemonic.Scasw
                or Mnemonic.Scasd or Mnemonic.Scasq)
            {
                if (i.HasRepePrefix && !zf) return true;
                if (i.HasRepnePrefix && zf) return true;
            }
            if (++iterations >= MaxIterationsPerExecution)
            {
                _s.Rip = _instrStart; // resume this instruction after pending interrupts
                return true;
            }
        }
    }

    /// <summary>One iteration. <paramref name="zf"/> is the comparison result of CMPS/SCAS.</summary>
    private bool StringStep(Mnemonic m, int size, int asz, long step, int srcSeg, out bool zf)
    {
        zf = false;
        ulong amask = AddrMaskOf(asz);
        ulong si = _s.Gpr[6] & amask, di = _s.Gpr[7] & amask;
        ulong v, w;
        switch (m)
        {
            case Mnemonic.Movsb: case Mnemonic.Movsw: case Mnemonic.Movsd: case Mnemonic.Movsq:
                if (!ReadMem(srcSeg, si, size, out v) || !WriteMem(Seg.Es, di, size, v)) return false;
                AdvanceIndex(6, asz, step);
                AdvanceIndex(7, asz, step);
                return true;
            case Mnemonic.Stosb: case Mnemonic.Stosw: case Mnemonic.Stosd: case Mnemonic.Stosq:
                if (!WriteMem(Seg.Es, di, size, _s.Gpr[0])) return false;
                AdvanceIndex(7, asz, step);
                return true;
            case Mnemonic.Lodsb: case Mnemonic.Lodsw: case Mnemonic.Lodsd: case Mnemonic.Lodsq:
                if (!ReadMem(srcSeg, si, size, out v)) return false;
                WriteReg(AccumulatorOf(size), v);
                AdvanceIndex(6, asz, step);
                return true;
            case Mnemonic.Cmpsb: case Mnemonic.Cmpsw: case Mnemonic.Cmpsd: case Mnemonic.Cmpsq:
                if (!ReadMem(srcSeg, si, size, out v) || !ReadMem(Seg.Es, di, size, out w)) return false;
                _s.Lazy.Set(FlagOp.Sub, size * 8, v, w, (v - w) & SizeMask(size));
                zf = v == w;
                AdvanceIndex(6, asz, step);
                AdvanceIndex(7, asz, step);
                return true;
            case Mnemonic.Scasb: case Mnemonic.Scasw: case Mnemonic.Scasd: case Mnemonic.Scasq:
                if (!ReadMem(Seg.Es, di, size, out w)) return false;
                v = _s.Gpr[0] & SizeMask(size);
                _s.Lazy.Set(FlagOp.Sub, size * 8, v, w, (v - w) & SizeMask(size));
                zf = v == w;
                AdvanceIndex(7, asz, step);
                return true;
            case Mnemonic.Insb: case Mnemonic.Insw: case Mnemonic.Insd:
            {
                // Translate the destination first so the port is not read twice when the store faults.
                if (!Linear(Seg.Es, di, out ulong lin) || !TranslateRange(lin, size, AccessKind.Write, UserAccess, out PhysRef r)) return false;
                WritePhys(in r, Io?.In((ushort)_s.Gpr[2], size) ?? uint.MaxValue);
                AdvanceIndex(7, asz, step);
                return true;
            }
            case Mnemonic.Outsb: case Mnemonic.Outsw: case Mnemonic.Outsd:
                if (!ReadMem(srcSeg, si, size, out v)) return false;
                Io?.Out((ushort)_s.Gpr[2], size, (uint)v);
                AdvanceIndex(6, asz, step);
                return true;
        }
        return Fault(Vector.UD);
    }

    private static Register AccumulatorOf(int size) => size switch { 1 => Register.AL, 2 => Register.AX, 4 => Register.EAX, _ => Register.RAX };

    /// <summary>
    /// Forward REP MOVS/STOS over the part of both operands that lies in one RAM page each. Returns the elements done
    /// (0 = take the one-element path: MMIO, page-straddling element, or overlapping copy), or -1 with a pending fault.
    /// </summary>
    private int BulkForward(Mnemonic m, int size, int asz, int srcSeg, ulong count)
    {
        ulong amask = AddrMaskOf(asz);
        ulong di = _s.Gpr[7] & amask;
        if (!Linear(Seg.Es, di, out ulong dlin)) return -1;
        int dRoom = 0x1000 - (int)(dlin & 0xFFF);
        int n = (int)Math.Min(count, (ulong)(dRoom / size));
        if (asz < 8) n = (int)Math.Min((ulong)n, (amask - di) / (ulong)size + 1);
        bool movs = m is Mnemonic.Movsb or Mnemonic.Movsw or Mnemonic.Movsd or Mnemonic.Movsq;
        ulong slin = 0, si = 0;
        if (movs)
        {
            si = _s.Gpr[6] & amask;
            if (!Linear(srcSeg, si, out slin)) return -1;
            int sRoom = 0x1000 - (int)(slin & 0xFFF);
            n = Math.Min(n, sRoom / size);
            if (asz < 8) n = (int)Math.Min((ulong)n, (amask - si) / (ulong)size + 1);
        }
        if (n <= 1) return 0;
        int bytes = n * size;
        if (!Translate(dlin, AccessKind.Write, UserAccess, out ulong dphys)) return -1;
        Span<byte> dst = _mem.GetRam(dphys, bytes);
        if (dst.IsEmpty) return 0;
        if (movs)
        {
            if (!Translate(slin, AccessKind.Read, UserAccess, out ulong sphys)) return -1;
            Span<byte> src = _mem.GetRam(sphys, bytes);
            if (src.IsEmpty) return 0;
            if (sphys < dphys + (ulong)bytes && dphys < sphys + (ulong)bytes && sphys != dphys) return 0; // element-wise semantics differ
            src.CopyTo(dst);
            AdvanceIndex(6, asz, bytes);
        }
        else
        {
            ulong v = _s.Gpr[0];
            if (size == 1) dst.Fill((byte)v);
            else
            {
                for (int k = 0; k < bytes; k++) dst[k] = (byte)(v >> (8 * (k % size)));
            }
        }
        AfterCodeWrite(dphys >> 12);
        AdvanceIndex(7, asz, bytes);
        SetCounter(asz, count - (ulong)n);
        return n;
    }

    private bool IoAllowed() => !_s.ProtectedMode || _s.Cpl <= (int)((_s.FlagsControl >> 12) & 3);

    private bool ExecInOut(in Instruction i)
    {
        if (!IoAllowed()) return Fault(Vector.GP, 0); // no TSS I/O bitmap: ports are for ring 0 (or IOPL)
        if (i.Mnemonic == Mnemonic.In)
        {
            int size = RegSize(i.Op0Register);
            ushort port = i.Op1Kind == OpKind.Register ? (ushort)_s.Gpr[2] : i.Immediate8;
            WriteReg(i.Op0Register, Io?.In(port, size) ?? uint.MaxValue);
        }
        else
        {
            int size = RegSize(i.Op1Register);
            ushort port = i.Op0Kind == OpKind.Register ? (ushort)_s.Gpr[2] : i.Immediate8;
            Io?.Out(port, size, (uint)(ReadReg(i.Op1Register) & SizeMask(size)));
        }
        return true;
    }
}
