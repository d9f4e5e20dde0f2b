namespace Xenon.Emulator.Execution;

/// <summary>Exception vectors.</summary>
public static class Vector
{
    public const int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11, SS = 12, GP = 13,
        PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    public static bool HasErrorCode(int v) => v is DF or TS or NP or SS or GP or PF or AC;

    internal static bool IsContributory(int v) => v is DE or TS or NP or SS or GP;
}
