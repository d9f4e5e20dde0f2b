namespace Xenon.Machine.Backend.Kvm;

/// <summary>
/// The MSRs a vCPU's state carries, in restore order. Each is kept only if KVM lists it in KVM_GET_MSR_INDEX_LIST on
/// this host (the MSRs it can save and restore), except the MTRRs: KVM emulates them in its common MSR code but does
/// not list them, and a guest that programmed them (Linux reads them at boot) must find them unchanged.
/// EFER, FS/GS base and the APIC base travel in the special registers, not here.
/// </summary>
internal static class KvmMsrsToSave
{
    public const uint Tsc = 0x10, TscAdjust = 0x3b, SpecCtrl = 0x48, SysenterCs = 0x174, SysenterEsp = 0x175, SysenterEip = 0x176,
        MiscEnable = 0x1a0, Pat = 0x277, TscDeadline = 0x6e0,
        Star = 0xc000_0081, Lstar = 0xc000_0082, Cstar = 0xc000_0083, Sfmask = 0xc000_0084, KernelGsBase = 0xc000_0102, TscAux = 0xc000_0103,
        KvmWallClock = 0x11, KvmSystemTime = 0x12,
        KvmWallClockNew = Cpu.KvmClockMsrs.WallClockNew, KvmSystemTimeNew = Cpu.KvmClockMsrs.SystemTimeNew, KvmAsyncPfEn = 0x4b56_4d02, KvmStealTime = 0x4b56_4d03,
        KvmPvEoiEn = 0x4b56_4d04, KvmPollControl = 0x4b56_4d05, KvmAsyncPfInt = 0x4b56_4d06,
        MtrrDefType = 0x2ff;

    /// <summary>Fixed-range MTRRs (64K at 0x250, 16K at 0x258–0x259, 4K at 0x268–0x26f) and KVM's eight variable pairs.</summary>
    public static readonly uint[] Mtrrs =
    [
        MtrrDefType, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
        0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207, 0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
    ];

    /// <summary>In restore order (the whole list is written after the LAPIC, which TSC_DEADLINE needs). ASYNC_PF_INT
    /// precedes ASYNC_PF_EN because enabling interrupt-based async page faults needs the vector already set.</summary>
    public static readonly uint[] Candidates =
    [
        Tsc, TscAdjust, SysenterCs, SysenterEsp, SysenterEip, Pat, MiscEnable, SpecCtrl,
        Star, Lstar, Cstar, Sfmask, KernelGsBase, TscAux,
        KvmSystemTime, KvmWallClock, KvmSystemTimeNew, KvmWallClockNew,
        KvmAsyncPfInt, KvmAsyncPfEn, KvmStealTime, KvmPvEoiEn, KvmPollControl,
        TscDeadline,
    ];

    /// <summary>The candidates KVM reports in <paramref name="indexList"/>, then the MTRRs, in restore order.</summary>
    public static uint[] Select(ReadOnlySpan<uint> indexList)
    {
        // Arrays and loops, not HashSet<uint>/List<uint>: those instantiations have no ReadyToRun code, and this runs
        // on a restore's first vCPU state (13 methods compiled there, 65-175 ms under the nested host's TCG).
        var selected = new uint[Candidates.Length + Mtrrs.Length];
        int n = 0;
        foreach (uint m in Candidates)
        {
            for (int k = 0; k < indexList.Length; k++)
            {
                if (indexList[k] != m) continue;
                selected[n++] = m;
                break;
            }
        }
        Mtrrs.CopyTo(selected, n);
        n += Mtrrs.Length;
        if (n == selected.Length) return selected;
        var trimmed = new uint[n];
        Array.Copy(selected, trimmed, n);
        return trimmed;
    }
}
