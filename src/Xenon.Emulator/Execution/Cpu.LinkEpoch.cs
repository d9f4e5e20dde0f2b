using System.Runtime.CompilerServices;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The link epoch: one number that moves on whenever anything GetBlock's fast check reads may have changed (a TLB fill,
/// INVLPG or flush, which CR3/CR0/CR4/EFER writes do; any page's code generation; a block re-decoded on this CPU), plus
/// the CPL's user bit. A check that passed at a stamp still passes while the stamp is unchanged, so the step from one
/// block to the next (chaining, <see cref="IlRegionStep"/>, <see cref="IlLoopBack"/>) compares one word instead of the
/// block's page generation and RIP's TLB entry. What is not a property of the target block (budget, stop, NMI, the
/// attention word, a store of ours into code) is still checked at every step.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Whether block checks are skipped while the link epoch stands still. On by default;
    /// XENON_SOFTCPU_LINK_EPOCH=0 turns it off (every step checks in full, as before; for measurements).</summary>
    public bool LinkEpochs
    {
        get => _linkEpochs;
        set => _linkEpochs = value;
    }

    private bool _linkEpochs = LinkEpochsDefault;

    /// <summary>Default for <see cref="LinkEpochs"/>.</summary>
    public static bool LinkEpochsDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_LINK_EPOCH") != "0";

    // Blocks (re)decoded on this CPU: a recycled block object gets new contents under the same reference.
    private long _decodes;

    /// <summary>Block checks done in full (the stamp had moved on, or epochs are off) and skipped on an unchanged stamp.</summary>
    public long LinkChecksFull { get; private set; }
    public long LinkChecksSkipped { get; private set; }

    /// <summary>The current stamp: the sum of three counters that only grow (so it changes whenever one does), shifted
    /// left, with the user bit below (the TLB's execute permission differs by CPL). Never -1, the "never checked" mark.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long LinkStamp() => ((_tlb.Version + _code.Version + _decodes) << 1) | (UserAccess ? 1L : 0L);
}
