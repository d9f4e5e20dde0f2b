using Xenon.Machine.Backend.Kvm;

namespace Xenon.Machine.Tests.State;

public sealed class KvmMsrsToSaveTests
{
    [Fact]
    public void KeepsOnlyListedCandidatesInRestoreOrderThenTheMtrrs()
    {
        // as KVM might list them: unordered, with MSRs this VMM does not carry
        uint[] listed = [0x6e0, 0x4b564d02, 0xc0000082, 0x10, 0x4b564d06, 0x3a, 0x12345678];
        var selected = KvmMsrsToSave.Select(listed);
        Assert.Equal([0x10u, 0xc0000082, 0x4b564d06, 0x4b564d02, 0x6e0], selected[..5]);
        Assert.Equal(KvmMsrsToSave.Mtrrs, selected[5..]);
    }

    [Fact]
    public void AnEmptyListKeepsOnlyTheMtrrsAndAFullOneWithRepeatsKeepsEachCandidateOnce()
    {
        Assert.Equal(KvmMsrsToSave.Mtrrs, KvmMsrsToSave.Select([]));
        uint[] everything = [.. KvmMsrsToSave.Candidates, .. KvmMsrsToSave.Candidates, 0x12345678];
        var selected = KvmMsrsToSave.Select(everything);
        Assert.Equal([.. KvmMsrsToSave.Candidates, .. KvmMsrsToSave.Mtrrs], selected);
    }

    [Fact]
    public void AsyncPfVectorPrecedesItsEnableAndTheDeadlineComesLast()
    {
        var order = KvmMsrsToSave.Candidates.ToList();
        Assert.True(order.IndexOf(KvmMsrsToSave.KvmAsyncPfInt) < order.IndexOf(KvmMsrsToSave.KvmAsyncPfEn));
        Assert.Equal(KvmMsrsToSave.TscDeadline, order[^1]);
        Assert.Equal(order.Count, order.Distinct().Count());
    }

    [Fact]
    public void TheMtrrsAreTheDefaultTypeElevenFixedRangesAndEightVariablePairs()
    {
        Assert.Equal(1 + 11 + 16, KvmMsrsToSave.Mtrrs.Length);
        Assert.Equal(KvmMsrsToSave.Mtrrs.Length, KvmMsrsToSave.Mtrrs.Distinct().Count());
    }
}
