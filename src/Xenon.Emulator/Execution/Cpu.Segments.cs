using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Segment loads with the protected-mode checks, descriptor table access, and the code bitness.</summary>
public sealed partial class Cpu
{
    /// <summary>16, 32 or 64: how the current CS makes the decoder read instructions.</summary>
    internal int Bitness
    {
        get
        {
            if (!_s.ProtectedMode || (_s.FlagsControl & RFlags.VM) != 0) return 16;
            ref SegmentRegister cs = ref _s.Segments[Seg.Cs];
            if (_s.LongModeActive && cs.Long) return 64;
            return cs.DefaultBig ? 32 : 16;
        }
    }

    /// <summary>Reads the 8-byte descriptor a selector names (GDT or LDT); #GP(selector) if it lies beyond the table limit.</summary>
    internal bool ReadDescriptor(ushort selector, out ulong descriptor, out ulong address)
    {
        descriptor = 0;
        bool ldt = (selector & 4) != 0;
        ulong tableBase = ldt ? _s.Ldtr.Base : _s.Gdtr.Base;
        ulong limit = ldt ? _s.Ldtr.Limit : _s.Gdtr.Limit;
        ulong offset = (ulong)(selector & ~7);
        address = tableBase + offset;
        if ((ldt && (_s.Ldtr.Selector & ~3) == 0) || offset + 7 > limit) return Fault(Vector.GP, (uint)(selector & ~3));
        return ReadSystem(address, 8, out descriptor);
    }

    private void SetAccessed(ulong descAddress, ulong descriptor)
    {
        if ((descriptor & (1UL << 40)) == 0) WriteSystem(descAddress + 5, 1, (descriptor >> 40) | 1);
    }

    /// <summary>MOV/POP to a data segment register or SS, LDS-style loads: real-mode arithmetic or protected-mode checks.</summary>
    internal bool LoadSegment(int seg, ushort selector)
    {
        if (!_s.ProtectedMode || (_s.FlagsControl & RFlags.VM) != 0)
        {
            ref SegmentRegister r = ref _s.Segments[seg];
            r.Selector = selector;
            r.Base = (ulong)selector << 4;
            if (!_s.ProtectedMode) return true;
            r.Limit = 0xFFFF;
            r.Attributes = 0xF3;
            return true;
        }
        int cpl = _s.Cpl;
        int rpl = selector & 3;
        if ((selector & ~3) == 0)
        {
            if (seg == Seg.Ss && !(_s.Is64BitCode && cpl < 3 && rpl == cpl)) return Fault(Vector.GP, 0);
            // A null selector: base 0 in 64-bit mode (FS/GS base kept: only a non-null load or WRMSR changes it is wrong —
            // Intel zeroes it, so do that), unusable segment.
            _s.Segments[seg] = new SegmentRegister { Selector = selector, Attributes = seg == Seg.Ss ? (ushort)((cpl << 5) | 0x93) : (ushort)0 };
            return true;
        }
        if (!ReadDescriptor(selector, out ulong d, out ulong addr)) return false;
        var desc = SegmentRegister.FromDescriptor(selector, d);
        bool code = (desc.Type & 8) != 0;
        if (seg == Seg.Ss)
        {
            if (desc.IsSystem || code || (desc.Type & 2) == 0 || rpl != cpl || desc.Dpl != cpl) return Fault(Vector.GP, (uint)(selector & ~3));
            if (!desc.Present) return Fault(Vector.SS, (uint)(selector & ~3));
        }
        else
        {
            bool readableCode = code && (desc.Type & 2) != 0;
            if (desc.IsSystem || (code && !readableCode)) return Fault(Vector.GP, (uint)(selector & ~3));
            bool conforming = code && (desc.Type & 4) != 0;
            if (!conforming && (rpl > desc.Dpl || cpl > desc.Dpl)) return Fault(Vector.GP, (uint)(selector & ~3));
            if (!desc.Present) return Fault(Vector.NP, (uint)(selector & ~3));
        }
        SetAccessed(addr, d);
        desc.Attributes |= 1;
        _s.Segments[seg] = desc;
        return true;
    }

    /// <summary>
    /// Checks a code segment for a far JMP/CALL/RET/IRET/interrupt and returns its hidden part with RPL set to the new CPL.
    /// <paramref name="newCpl"/> is the privilege the transfer will run at (the caller decides per instruction kind).
    /// </summary>
    internal bool FetchCodeSegment(ushort selector, out SegmentRegister cs, out ulong descAddr, out ulong desc)
    {
        cs = default;
        desc = 0;
        descAddr = 0;
        if ((selector & ~3) == 0) return Fault(Vector.GP, 0);
        if (!ReadDescriptor(selector, out desc, out descAddr)) return false;
        cs = SegmentRegister.FromDescriptor(selector, desc);
        if (cs.IsSystem || (cs.Type & 8) == 0) return Fault(Vector.GP, (uint)(selector & ~3));
        if (!cs.Present) return Fault(Vector.NP, (uint)(selector & ~3));
        if (cs.Long && cs.DefaultBig && _s.LongModeActive) return Fault(Vector.GP, (uint)(selector & ~3));
        return true;
    }

    /// <summary>Far JMP/CALL target in the current mode: real-mode arithmetic, or a same-privilege code segment.</summary>
    internal bool LoadCsForFarTransfer(ushort selector, out SegmentRegister cs)
    {
        if (!_s.ProtectedMode || (_s.FlagsControl & RFlags.VM) != 0)
        {
            cs = _s.Segments[Seg.Cs];
            cs.Selector = selector;
            cs.Base = (ulong)selector << 4;
            return true;
        }
        if (!FetchCodeSegment(selector, out cs, out ulong addr, out ulong d)) return false;
        int cpl = _s.Cpl;
        bool conforming = (cs.Type & 4) != 0;
        // Call gates and task switches are not emulated: #GP like a bad selector.
        if (conforming ? cs.Dpl > cpl : ((selector & 3) > cpl || cs.Dpl != cpl)) return Fault(Vector.GP, (uint)(selector & ~3));
        SetAccessed(addr, d);
        cs.Attributes |= 1;
        cs.Selector = (ushort)((selector & ~3) | cpl);
        return true;
    }

    internal void CommitCs(in SegmentRegister cs)
    {
        int oldBitness = Bitness;
        _s.Segments[Seg.Cs] = cs;
        if (Bitness != oldBitness) _endBlock = true;
    }
}
