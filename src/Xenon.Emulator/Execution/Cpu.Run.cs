using System.Runtime.CompilerServices;
using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>The run loop: interrupts between blocks, block lookup/decoding, instruction dispatch, fault delivery.</summary>
public sealed partial class Cpu
{
    private readonly BufferCodeReader _reader = new();
    private Decoder _decoder16 = null!, _decoder32 = null!, _decoder64 = null!;
    private readonly DecodedBlock _scratch = new()
    {
        Instructions = new Instruction[DecodedBlock.MaxInstructions], Fast = new FastOp[DecodedBlock.MaxInstructions],
    };
    private readonly Instruction[] _decodeBuffer = new Instruction[DecodedBlock.MaxInstructions];

    // Per-instruction scratch: the address after the current instruction, whether a handler changed RIP, end of block.
    private ulong _next;
    // Budget end; each delivered event also spends one, so a guest stuck in a fault loop still returns from Run.
    private long _end;
    private ulong _instrStart;
    private bool _endBlock;
    private volatile bool _stopRequested;

    // The pending fault an accessor or handler raised (-1 = none).
    private int _faultVector = -1;
    private uint _faultError;

    private void InitDecoders()
    {
        _decoder16 = Decoder.Create(16, _reader, 0, DecoderOptions.None);
        _decoder32 = Decoder.Create(32, _reader, 0, DecoderOptions.None);
        _decoder64 = Decoder.Create(64, _reader, 0, DecoderOptions.None);
    }

    /// <summary>Records a fault for the run loop to deliver; always returns false so handlers can `return Fault(...)`.</summary>
    internal bool Fault(int vector, uint error = 0)
    {
        _faultVector = vector;
        _faultError = error;
        return false;
    }

    private volatile bool _nmiPending;
    private bool _nmiBlocked;

    /// <summary>Raises an NMI, taken at the next block boundary (wakes HLT). Any thread.</summary>
    public void InjectNmi() => _nmiPending = true;

    /// <summary>Makes <see cref="Run"/> return <see cref="RunExit.Stopped"/> at the next block boundary. Any thread.</summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>Runs until <paramref name="maxInstructions"/> retired, HLT with nothing to deliver, a triple fault, or a stop request.</summary>
    public RunExit Run(long maxInstructions)
    {
        _end = maxInstructions >= long.MaxValue - InstructionsRetired ? long.MaxValue : InstructionsRetired + maxInstructions;
        while (InstructionsRetired < _end)
        {
            if (IsShutdown) return RunExit.Shutdown;
            if (_stopRequested)
            {
                _stopRequested = false;
                return RunExit.Stopped;
            }
            if (_nmiPending && !_nmiBlocked && !_s.InterruptShadow)
            {
                // NMIs ignore IF and stay blocked until the handler's IRET.
                _nmiPending = false;
                _nmiBlocked = true;
                _s.Halted = false;
                DeliverEvent(Vector.NMI, EventKind.External, 0, _s.Rip);
                _end--;
                continue;
            }
            // With a signalling source the attention word stands in for the poll; it stays raised while IF or the shadow
            // holds an interrupt back, so the poll happens at the first boundary where one could be taken.
            if (!_s.InterruptShadow && (_s.FlagsControl & RFlags.IF) != 0 &&
                (!_interruptsSignal || (Attention.IsRaised && Attention.TryClear())) && _interrupts is { HasPendingInterrupt: true } irq)
            {
                int vector = irq.AcknowledgeInterrupt();
                Attention.Raise(); // another request may be waiting behind this one
                if (vector >= 0)
                {
                    _s.Halted = false;
                    DeliverEvent(vector, EventKind.External, 0, _s.Rip);
                    _end--;
                    continue;
                }
            }
            if (_s.Halted) return RunExit.Halted;

            DispatcherLookups++;
            DecodedBlock? block = GetBlock();
            if (_chainFrom is not null && block is not null) LinkSuccessor(block);
            if (block is null)
            {
                DeliverPendingFault(_s.Rip);
                if (SingleBlock) return RunExit.Stopped;
                continue;
            }
            ExecuteBlock(block, _end);
            if (SingleBlock) return RunExit.Stopped;
        }
        return IsShutdown ? RunExit.Shutdown : RunExit.BudgetExhausted;
    }

    // Last line of defence for "guest input never crashes the process": a handler bug becomes #UD for the guest. The try
    // region wraps the whole block rather than each instruction, so the loop inside keeps its locals in registers.
    private void ExecuteBlock(DecodedBlock block, long end)
    {
        try
        {
            while (true)
            {
                int start = 0;
                if (_ilTier && block.HasFast && _fastPath)
                {
                    start = RunTranslated(ref block, end);
                    if (start >= block.Count)
                    {
                        // Chaining: straight into the successor while nothing needs Run's attention.
                        if (!ChainReady() || Successor(block) is not { } next) return;
                        IlBlocksChained++;
                        block = next;
                        continue;
                    }
                }
                if (start < 0 || !RunInstructions(block, end, start)) break;
                // A block of fast forms only ran interpreted (not hot yet): chain on as after a translated one.
                if (!block.AllFast || !_chainInterpreted || !_fastPath || !ChainReady() || Successor(block) is not { } after) return;
                InterpretedBlocksChained++;
                block = after;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LastInternalError = ex;
            LastUnimplemented = block.Instructions[_blockIndex].Code;
            _faultVector = Vector.UD;
        }
        // The instruction at _instrStart failed: it restarts there once the fault is delivered.
        if (_faultVector < 0) _faultVector = Vector.UD; // a handler bug must not take the process down
        if (_faultVector != SoftwareEventMarker) _s.Rip = _instrStart;
        DeliverPendingFault(_instrStart);
    }

    /// <summary>Tests: <see cref="Run"/> returns after each block (or fetch fault), so two CPUs compare at every block exit.</summary>
    internal bool SingleBlock;

    // Index in the running block of the instruction executing (for the diagnostics of a handler bug).
    private int _blockIndex;

    /// <summary>Runs the block's instructions; false when one failed with a pending fault (RIP not yet put back).</summary>
    private bool RunInstructions(DecodedBlock block, long end, int start)
    {
        Instruction[] instrs = block.Instructions;
        FastOp[]? fast = block.HasFast && FastPath ? block.Fast : null;
        int count = Math.Min(block.Count, instrs.Length);
        ulong page = block.PhysStart >> 12;
        ulong ipMask = block.Bitness == 64 ? ulong.MaxValue : block.Bitness == 32 ? 0xFFFFFFFF : 0xFFFF;
        CpuState s = _s;
        _wroteCode = false;
        for (int n = start; n < count; n++)
        {
            _blockIndex = n;
            ref Instruction ins = ref instrs[n];
            ulong next = ins.NextIP & ipMask;
            _next = next;
            _instrStart = s.Rip;
            _endBlock = false;
            bool shadow = s.InterruptShadow;
            // RIP points past the instruction while it executes (branches overwrite it); a fault puts it back.
            s.Rip = next;
            bool ok = fast is not null && (uint)n < (uint)fast.Length && fast[n].Kind != FastKind.None
                ? ExecuteFast(ref fast[n])
                : Execute(in ins);
            if (!ok) return false;
            InstructionsRetired++;
            if (shadow)
            {
                // The shadow covered this instruction: end the block so a pending interrupt is taken right here.
                s.InterruptShadow = false;
                return true;
            }
            if (s.Rip != next || _endBlock || InstructionsRetired >= end || s.Halted) return true;
            if (_wroteCode && _code.Generation(page) != block.Generation) return true; // the block wrote its own page
        }
        return true;
    }

    // Set when one of this CPU's stores hit a page holding decoded code: only then can the running block have gone stale.
    // Another vCPU's store into it (cross-modifying code) is seen at the next block at the latest, which the SDM allows
    // (the modifying and the executing processor must serialise).
    private bool _wroteCode;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AfterCodeWrite(ulong page)
    {
        if (_code.AfterWrite(page)) _wroteCode = true;
    }

    /// <summary>The last host exception a handler threw (an emulator bug), kept for diagnostics; the guest got #UD.</summary>
    public Exception? LastInternalError { get; private set; }

    /// <summary>Delivers the fault a failed handler or fetch recorded; the faulting instruction restarts at <paramref name="rip"/>.</summary>
    private void DeliverPendingFault(ulong rip)
    {
        int v = _faultVector;
        uint e = _faultError;
        _faultVector = -1;
        _end--;
        if (v == SoftwareEventMarker) return; // the handler already delivered an INT n / INT3 / INTO itself
        DeliverEvent(v, EventKind.Fault, e, rip);
    }

    private const int SoftwareEventMarker = 0x100;

    /// <summary>Finds or decodes the block at RIP. Returns null with a pending fault (#PF on fetch, #GP non-canonical).</summary>
    private DecodedBlock? GetBlock()
    {
        ulong rip = _s.Rip;
        ref DecodedBlock? slot = ref _recent[RecentIndex(rip)];
        DecodedBlock? b = slot;
        // 64-bit code (linear = RIP) entered here before: valid if its page is unchanged and the TLB still maps RIP's page
        // to it with execute permission, which is what the translation below would find (a TLB hit). This skips the
        // segment, translation and dictionary steps the profile showed at 10-18%.
        if (b is not null && b.LinearStart == rip && _s.Is64BitCode && (_s.Cr0 & ControlBits.Cr0PG) != 0 && StillCurrent(b, rip))
            return b;
        if (!Linear(Seg.Cs, rip, out ulong linear)) return null;
        if (!Translate(linear, AccessKind.Execute, UserAccess, out ulong phys)) return null;
        int bitness = Bitness;
        int generation = _code.Generation(phys >> 12);
        if (b is not null && b.PhysStart == phys && b.LinearStart == rip && b.Bitness == bitness && b.Generation == generation)
            return b;
        if (_blocks.TryGet(phys, out b) && b!.LinearStart == rip && b.Bitness == bitness && b.Generation == generation)
        {
            slot = b;
            return b;
        }
        b = Decode(rip, linear, phys, bitness);
        if (b is not null && !ReferenceEquals(b, _scratch)) slot = b;
        return b;
    }

    // The block found last at each hash of RIP. Every field is checked again on a hit, so a block the cache recycled
    // (BlockCache reuses them) can sit here harmlessly: it no longer matches what it is looked up for.
    private const int RecentSize = 4096;
    private readonly DecodedBlock?[] _recent = new DecodedBlock?[RecentSize];

    private static int RecentIndex(ulong rip) => (int)((rip ^ (rip >> 12)) & (RecentSize - 1));

    private DecodedBlock? Decode(ulong rip, ulong linear, ulong phys, int bitness)
    {
        _decodes++; // the block object returned may be a recycled one: checks stamped on it no longer hold
        int inPage = 0x1000 - (int)(phys & 0xFFF);
        Span<byte> ram = _mem.GetRam(phys, inPage);
        bool cacheable = !ram.IsEmpty;
        byte[] buf = _reader.Buffer;
        int length;
        int generation = 0;
        if (cacheable)
        {
            // Flag the page as code before reading its bytes, and read the generation in between: a CPU storing to
            // the page concurrently either sees the flag (and moves the generation on) or stored before the copy.
            _code.MarkCode(phys >> 12);
            Interlocked.MemoryBarrier();
            generation = _code.Generation(phys >> 12);
            ram.CopyTo(buf);
            length = inPage;
        }
        else
        {
            // Fetch from MMIO (ROM): one instruction's worth, never cached.
            length = Math.Min(inPage, 15);
            generation = _code.Generation(phys >> 12);
            for (int i = 0; i < length; i++) buf[i] = (byte)_mem.ReadMmio(phys + (ulong)i, 1);
        }

        Decoder decoder = bitness == 64 ? _decoder64 : bitness == 32 ? _decoder32 : _decoder16;
        Instruction[] decoded = _decodeBuffer;
        int count = 0;
        _reader.Position = 0;
        _reader.Length = length;
        decoder.IP = rip;
        while (count < DecodedBlock.MaxInstructions && (cacheable || count == 0))
        {
            int start = _reader.Position;
            decoder.Decode(out decoded[count]);
            ref Instruction ins = ref decoded[count];
            if (decoder.LastError == DecoderError.NoMoreBytes)
            {
                if (count > 0) break;
                // The first instruction crosses into the next page: decode it alone from both pages, uncached.
                return DecodeStraddling(rip, linear, bitness, buf, start, length);
            }
            count++;
            if (ins.FlowControl != FlowControl.Next || ins.Code == Code.INVALID || EndsBlock(ins.Mnemonic)) break;
            if (_reader.Position >= length) break;
        }

        // A store from another CPU cleared the flag or moved the generation while the bytes were copied: run what was
        // decoded once, uncached (the generation check ends it after its first instruction if it went stale).
        if (cacheable)
        {
            Interlocked.MemoryBarrier();
            if (!_code.HasCode(phys >> 12) || _code.Generation(phys >> 12) != generation) cacheable = false;
        }

        // Only a complete block enters the cache (a half-built one must never be found).
        DecodedBlock block = cacheable ? _blocks.Rent(phys) : _scratch;
        if (cacheable && block.Instructions.Length != count) block.Instructions = new Instruction[count];
        Array.Copy(decoded, block.Instructions, count);
        block.ResetDerived(); // a re-decoded page drops its translation and chained successor
        block.HasFast = bitness == 64;
        block.AllFast = false;
        if (block.HasFast)
        {
            if (block.Fast.Length < count) block.Fast = new FastOp[count];
            bool all = true;
            for (int n = 0; n < count; n++)
            {
                BuildFastOp(in decoded[n], out block.Fast[n]);
                if (block.Fast[n].Kind == FastKind.None) all = false;
            }
            block.AllFast = all && cacheable;
        }
        block.Count = count;
        block.PhysStart = phys;
        block.LinearStart = rip;
        block.Bitness = bitness;
        block.Generation = generation;
        return block;
    }

    private DecodedBlock? DecodeStraddling(ulong rip, ulong linear, int bitness, byte[] buf, int start, int length)
    {
        int have = length - start;
        Buffer.BlockCopy(buf, start, buf, 0, have);
        ulong nextLinear = (linear | 0xFFF) + 1;
        if (!Translate(nextLinear, AccessKind.Execute, UserAccess, out ulong phys2)) return null;
        for (int i = 0; i < 15 - have; i++) buf[have + i] = (byte)ReadPhys(phys2 + (ulong)i, 1);
        _reader.Position = 0;
        _reader.Length = 15;
        Decoder decoder = bitness == 64 ? _decoder64 : bitness == 32 ? _decoder32 : _decoder16;
        decoder.IP = rip;
        decoder.Decode(out _scratch.Instructions[0]);
        _scratch.Count = 1;
        _scratch.HasFast = false;
        _scratch.AllFast = false;
        _scratch.ResetDerived();
        _scratch.LinearStart = rip;
        _scratch.Bitness = bitness;
        _scratch.PhysStart = ulong.MaxValue; // never matched by the cache
        _scratch.Generation = _code.Generation(ulong.MaxValue >> 12);
        return _scratch;
    }

    /// <summary>Instructions after which the block ends because they change how later bytes decode or execute.</summary>
    private static bool EndsBlock(Mnemonic m) => m is Mnemonic.Wrmsr or Mnemonic.Lmsw or Mnemonic.Clts
        or Mnemonic.Invlpg or Mnemonic.Sti or Mnemonic.Cli or Mnemonic.Popf or Mnemonic.Popfd or Mnemonic.Popfq or Mnemonic.Hlt
        or Mnemonic.Lgdt or Mnemonic.Lidt or Mnemonic.Ltr or Mnemonic.Lldt or Mnemonic.Swapgs
        or Mnemonic.Fxrstor or Mnemonic.Fxrstor64 or Mnemonic.Cpuid or Mnemonic.Pause or Mnemonic.Invd or Mnemonic.Wbinvd;
}
