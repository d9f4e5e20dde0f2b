namespace Xenon.Domain.Migration;

/// <summary>Sets of dirty pages as ascending pfn lists (what <see cref="IMigrationSource.CollectDirtyPages"/> returns).</summary>
internal static class DirtyPageSets
{
    /// <summary>Merges two ascending lists into <paramref name="into"/> without duplicates and returns the count.
    /// <paramref name="into"/> may be the buffer behind <paramref name="a"/> (the merge runs from the back, so no entry
    /// of <paramref name="a"/> is overwritten before it is read) but not the one behind <paramref name="b"/>.</summary>
    public static int Union(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> into)
    {
        // Count first, so the merge can fill from the back.
        int n = 0;
        for (int i = 0, j = 0; i < a.Length || j < b.Length; n++)
        {
            if (j == b.Length || (i < a.Length && a[i] < b[j])) i++;
            else if (i == a.Length || b[j] < a[i]) j++;
            else { i++; j++; }
        }
        if (n > into.Length) throw new ArgumentException($"the union has {n} pages, the buffer holds {into.Length}", nameof(into));
        int at = n - 1;
        for (int i = a.Length - 1, j = b.Length - 1; i >= 0 || j >= 0; at--)
        {
            if (j < 0 || (i >= 0 && a[i] > b[j])) into[at] = a[i--];
            else if (i < 0 || b[j] > a[i]) into[at] = b[j--];
            else { into[at] = a[i]; i--; j--; }
        }
        return n;
    }
}
