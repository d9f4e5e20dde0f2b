using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

internal enum EventKind
{
    /// <summary>A CPU exception: error code pushed where the vector has one.</summary>
    Fault,
    /// <summary>INT n, INT3, INTO: gate DPL checked against CPL, no error code.</summary>
    Software,
    /// <summary>An external interrupt from the interrupt source.</summary>
    External,
}

/// <summary>Exception and interrupt delivery through the real-mode IVT or the protected/long-mode IDT (with privilege
/// change through the TSS and IST), double and triple faults, and IRET.</summary>
public sealed partial class Cpu
{
    /// <summary>Delivers an event; a fault during delivery becomes the nested fault, #DF, or a triple fault (shutdown).</summary>
    internal void DeliverEvent(int vector, EventKind kind, uint error, ulong returnRip)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            _faultVector = -1;
            if (TryDeliver(vector, kind, error, returnRip)) return;
            int second = _faultVector;
            uint secondError = _faultError;
            _faultVector = -1;
            if (vector == Vector.DF || second < 0) break;
            bool first = kind == EventKind.Fault;
            if (first && ((Vector.IsContributory(vector) && Vector.IsContributory(second)) ||
                          (vector == Vector.PF && (second == Vector.PF || Vector.IsContributory(second)))))
            {
                vector = Vector.DF;
                error = 0;
            }
            else
            {
                vector = second;
                error = secondError;
            }
            kind = EventKind.Fault;
        }
        IsShutdown = true;
    }

    private bool TryDeliver(int vector, EventKind kind, uint error, ulong returnRip)
    {
        bool pushError = kind == EventKind.Fault && Vector.HasErrorCode(vector);
        if (!_s.ProtectedMode) return DeliverReal(vector, returnRip);
        if (_s.LongModeActive) return DeliverLong(vector, kind, pushError, error, returnRip);
        return DeliverProtected(vector, kind, pushError, error, returnRip);
    }

    private bool DeliverReal(int vector, ulong returnRip)
    {
        ulong entry = _s.Idtr.Base + (ulong)vector * 4;
        if ((ulong)vector * 4 + 3 > _s.Idtr.Limit) return Fault(Vector.GP, (uint)(vector * 8 + 2));
        if (!ReadSystem(entry, 4, out ulong ivt)) return false;
        ulong sp = _s.Gpr[4];
        ulong ssBase = _s.Segments[Seg.Ss].Base;
        ushort flags = (ushort)GetRflags();
        ulong a1 = ssBase + (ushort)(sp - 2), a2 = ssBase + (ushort)(sp - 4), a3 = ssBase + (ushort)(sp - 6);
        if (!WriteSystem(a1, 2, flags) || !WriteSystem(a2, 2, _s.Segments[Seg.Cs].Selector) || !WriteSystem(a3, 2, (ushort)returnRip))
            return false;
        _s.Gpr[4] = (sp & ~0xFFFFUL) | (ushort)(sp - 6);
        _s.FlagsControl &= ~(RFlags.IF | RFlags.TF | RFlags.AC | RFlags.RF);
        var cs = _s.Segments[Seg.Cs];
        cs.Selector = (ushort)(ivt >> 16);
        cs.Base = (ulong)cs.Selector << 4;
        CommitCs(cs);
        _s.Rip = (ushort)ivt;
        return true;
    }

    private bool ReadGate(int vector, int size, out ulong low, out ulong high)
    {
        low = high = 0;
        ulong offset = (ulong)vector * (ulong)size;
        if (offset + (ulong)size - 1 > _s.Idtr.Limit) return Fault(Vector.GP, (uint)(vector * 8 + 2));
        if (!ReadSystem(_s.Idtr.Base + offset, 8, out low)) return false;
        return size == 8 || ReadSystem(_s.Idtr.Base + offset + 8, 8, out high);
    }

    /// <summary>Gate checks shared by 32-bit and long mode; returns the target CS (already checked) and the gate type.</summary>
    private bool CheckGate(int vector, EventKind kind, ulong low, bool longMode, out SegmentRegister cs, out bool trapGate)
    {
        cs = default;
        int type = (int)(low >> 40) & 0x1F; // S bit + type
        int dpl = (int)(low >> 45) & 3;
        bool present = (low & (1UL << 47)) != 0;
        trapGate = (type & 1) != 0;
        uint idtError = (uint)(vector * 8 + 2) | (kind == EventKind.External ? 1u : 0);
        bool valid = longMode ? type is 0x0E or 0x0F : type is 0x0E or 0x0F or 0x06 or 0x07;
        if (!valid) return Fault(Vector.GP, idtError); // task gates are not emulated
        if (kind == EventKind.Software && dpl < _s.Cpl) return Fault(Vector.GP, idtError);
        if (!present) return Fault(Vector.NP, idtError);
        ushort selector = (ushort)(low >> 16);
        if (!FetchCodeSegment(selector, out cs, out _, out _)) return false;
        if (cs.Dpl > _s.Cpl) return Fault(Vector.GP, (uint)(selector & ~3));
        if (longMode && !cs.Long) return Fault(Vector.GP, (uint)(selector & ~3));
        return true;
    }

    private bool DeliverLong(int vector, EventKind kind, bool pushError, uint error, ulong returnRip)
    {
        if (!ReadGate(vector, 16, out ulong low, out ulong high)) return false;
        if (!CheckGate(vector, kind, low, longMode: true, out SegmentRegister cs, out bool trapGate)) return false;
        ulong target = (low & 0xFFFF) | ((low >> 32) & 0xFFFF0000) | (high << 32);
        int ist = (int)(low >> 32) & 7;
        int oldCpl = _s.Cpl;
        int newCpl = (cs.Type & 4) != 0 ? oldCpl : cs.Dpl; // conforming code keeps the CPL
        ulong rsp = _s.Gpr[4];
        ushort oldSs = _s.Segments[Seg.Ss].Selector;
        if (ist != 0)
        {
            if (!ReadSystem(_s.Tr.Base + 0x24 + (ulong)(ist - 1) * 8, 8, out rsp)) return false;
        }
        else if (newCpl < oldCpl)
        {
            if (!ReadSystem(_s.Tr.Base + 4 + (ulong)newCpl * 8, 8, out rsp)) return false;
        }
        if (!IsCanonical(rsp)) return Fault(Vector.SS, 0);
        rsp &= ~0xFUL;
        ulong flags = GetRflags();
        bool user = false;
        Span<ulong> frame = [oldSs, _s.Gpr[4], flags, _s.Segments[Seg.Cs].Selector, returnRip, error];
        int items = pushError ? 6 : 5;
        for (int k = 0; k < items; k++)
        {
            rsp -= 8;
            if (!WriteLinear(rsp, 8, frame[k], user)) return false;
        }
        if (newCpl < oldCpl)
            _s.Segments[Seg.Ss] = new SegmentRegister { Selector = (ushort)newCpl, Attributes = (ushort)(0x93 | (newCpl << 5)) };
        _s.Gpr[4] = rsp;
        cs.Selector = (ushort)((cs.Selector & ~3) | newCpl);
        CommitCs(cs);
        _s.Rip = target;
        _s.FlagsControl &= ~(RFlags.TF | RFlags.NT | RFlags.RF | RFlags.VM | (trapGate ? 0 : RFlags.IF));
        _endBlock = true;
        return true;
    }

    private bool DeliverProtected(int vector, EventKind kind, bool pushError, uint error, ulong returnRip)
    {
        if (!ReadGate(vector, 8, out ulong low, out _)) return false;
        if (!CheckGate(vector, kind, low, longMode: false, out SegmentRegister cs, out bool trapGate)) return false;
        bool gate32 = (((int)(low >> 40)) & 8) != 0;
        ulong target = (low & 0xFFFF) | (gate32 ? (low >> 32) & 0xFFFF0000 : 0);
        int oldCpl = _s.Cpl;
        int newCpl = (cs.Type & 4) != 0 ? oldCpl : cs.Dpl;
        int w = gate32 ? 4 : 2;
        SegmentRegister ss = _s.Segments[Seg.Ss];
        ulong esp = _s.Gpr[4];
        bool stackSwitch = newCpl < oldCpl;
        if (stackSwitch)
        {
            // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n.
            if (!ReadSystem(_s.Tr.Base + 4 + (ulong)newCpl * 8, 4, out esp) ||
                !ReadSystem(_s.Tr.Base + 8 + (ulong)newCpl * 8, 2, out ulong newSs)) return false;
            if ((newSs & ~3UL) == 0) return Fault(Vector.TS, 0);
            if (!ReadDescriptor((ushort)newSs, out ulong d, out _)) return false;
            ss = SegmentRegister.FromDescriptor((ushort)newSs, d);
            if (!ss.Present) return Fault(Vector.SS, (uint)(newSs & ~3UL));
        }
        bool big = ss.DefaultBig;
        ulong spMask = big ? 0xFFFFFFFF : 0xFFFF;
        ulong sp = esp;
        Span<ulong> frame = [_s.Segments[Seg.Ss].Selector, _s.Gpr[4], GetRflags(), _s.Segments[Seg.Cs].Selector, returnRip, error];
        int first = stackSwitch ? 0 : 2;
        int last = pushError ? 6 : 5;
        bool user = newCpl == 3;
        for (int k = first; k < last; k++)
        {
            sp = (sp - (ulong)w) & spMask | (sp & ~spMask);
            ulong lin = (ss.Base + (sp & spMask)) & 0xFFFFFFFF;
            if (!WriteLinear(lin, w, frame[k], user)) return false;
        }
        if (stackSwitch)
        {
            ss.Selector = (ushort)((ss.Selector & ~3) | newCpl);
            _s.Segments[Seg.Ss] = ss;
        }
        _s.Gpr[4] = big ? (uint)sp : (_s.Gpr[4] & ~0xFFFFUL) | (ushort)sp;
        cs.Selector = (ushort)((cs.Selector & ~3) | newCpl);
        CommitCs(cs);
        _s.Rip = target;
        _s.FlagsControl &= ~(RFlags.TF | RFlags.NT | RFlags.RF | RFlags.VM | (trapGate ? 0 : RFlags.IF));
        _endBlock = true;
        return true;
    }

    /// <summary>Raises a software interrupt from a handler: delivered at once, returning to the next instruction.</summary>
    internal bool SoftwareInterrupt(int vector)
    {
        DeliverEvent(vector, EventKind.Software, 0, _next);
        _faultVector = SoftwareEventMarker;
        return false;
    }

    /// <summary>IRET/IRETD/IRETQ. Returns to the same or an outer privilege level; no task return (NT) and no VM86.</summary>
    internal bool Iret(int opSize)
    {
        _nmiBlocked = false; // (also when the IRET faults: simpler, and only re-opens NMIs early)
        ulong sp = _s.Gpr[4];
        if (!_s.ProtectedMode)
        {
            if (!PopPeek(sp, opSize, 0, out ulong ip) || !PopPeek(sp, opSize, 1, out ulong csSel) || !PopPeek(sp, opSize, 2, out ulong fl))
                return false;
            SetSp(sp + (ulong)(3 * opSize));
            var cs = _s.Segments[Seg.Cs];
            cs.Selector = (ushort)csSel;
            cs.Base = (ulong)(ushort)csSel << 4;
            CommitCs(cs);
            ulong mask = opSize == 2 ? 0xFFFFUL : RFlags.Writable & ~RFlags.VM;
            SetRflags((GetRflags() & ~mask) | (fl & mask));
            _s.Rip = opSize == 2 ? (ushort)ip : (uint)ip;
            _endBlock = true;
            return true;
        }
        if ((_s.FlagsControl & RFlags.NT) != 0 && !_s.LongModeActive) return Fault(Vector.GP, 0); // task return: not emulated
        if (!PopPeek(sp, opSize, 0, out ulong rip) || !PopPeek(sp, opSize, 1, out ulong sel) || !PopPeek(sp, opSize, 2, out ulong flags))
            return false;
        int cpl = _s.Cpl;
        int rpl = (int)sel & 3;
        if (rpl < cpl) return Fault(Vector.GP, (uint)(sel & ~3UL));
        if (!FetchCodeSegment((ushort)sel, out SegmentRegister newCs, out _, out _)) return false;
        bool conforming = (newCs.Type & 4) != 0;
        if (conforming ? newCs.Dpl > rpl : newCs.Dpl != rpl) return Fault(Vector.GP, (uint)(sel & ~3UL));
        bool to64 = _s.LongModeActive && newCs.Long;
        bool popStack = rpl > cpl || (_s.Is64BitCode);
        ulong newSp = 0, newSsSel = 0;
        SegmentRegister newSs = default;
        if (popStack)
        {
            if (!PopPeek(sp, opSize, 3, out newSp) || !PopPeek(sp, opSize, 4, out newSsSel)) return false;
            if ((newSsSel & ~3UL) == 0)
            {
                if (!(_s.LongModeActive && to64 && rpl < 3)) return Fault(Vector.GP, 0);
                newSs = new SegmentRegister { Selector = (ushort)newSsSel, Attributes = (ushort)(0x93 | (rpl << 5)) };
            }
            else
            {
                if ((int)(newSsSel & 3) != rpl) return Fault(Vector.GP, (uint)(newSsSel & ~3UL));
                if (!ReadDescriptor((ushort)newSsSel, out ulong d, out _)) return false;
                newSs = SegmentRegister.FromDescriptor((ushort)newSsSel, d);
                if (newSs.IsSystem || (newSs.Type & 0xA) != 2 || newSs.Dpl != rpl) return Fault(Vector.GP, (uint)(newSsSel & ~3UL));
                if (!newSs.Present) return Fault(Vector.SS, (uint)(newSsSel & ~3UL));
            }
        }
        if (to64 && !IsCanonical(rip)) return Fault(Vector.GP, 0);

        // Commit. IOPL changes only at CPL 0, IF only when CPL <= IOPL.
        ulong writable = RFlags.Writable;
        int iopl = (int)(_s.FlagsControl >> 12) & 3;
        if (cpl > 0) writable &= ~RFlags.IoplMask;
        if (cpl > iopl) writable &= ~RFlags.IF;
        if (opSize == 2) writable &= 0xFFFF;
        SetRflags((GetRflags() & ~writable) | (flags & writable));
        newCs.Selector = (ushort)sel;
        CommitCs(newCs);
        _s.Rip = to64 ? rip : (uint)rip;
        if (popStack)
        {
            _s.Segments[Seg.Ss] = newSs;
            _s.Gpr[4] = newSp;
            if (!newSs.DefaultBig && !to64) _s.Gpr[4] = (ushort)newSp;
            if (rpl > cpl) NullifyDataSegments(rpl);
        }
        else SetSp(sp + (ulong)(3 * opSize));
        _endBlock = true;
        return true;
    }

    /// <summary>On a return to an outer level, data segments the new level may not use become null (SDM IRET/RET).</summary>
    private void NullifyDataSegments(int cpl)
    {
        foreach (int seg in (ReadOnlySpan<int>)[Seg.Es, Seg.Ds, Seg.Fs, Seg.Gs])
        {
            ref SegmentRegister r = ref _s.Segments[seg];
            bool conformingCode = (r.Type & 0xC) == 0xC;
            if (!r.IsSystem && !conformingCode && r.Dpl < cpl && r.Present)
            {
                r.Selector = 0;
                r.Attributes = 0;
            }
        }
    }
}
