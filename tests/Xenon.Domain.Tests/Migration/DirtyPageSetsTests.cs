using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The last round sends the union of the set that ended pre-copy and what was written until the pause.</summary>
public sealed class DirtyPageSetsTests
{
    [Theory]
    [InlineData(new ulong[0], new ulong[0], new ulong[0])]
    [InlineData(new ulong[] { 1, 5, 9 }, new ulong[0], new ulong[] { 1, 5, 9 })]
    [InlineData(new ulong[0], new ulong[] { 2, 3 }, new ulong[] { 2, 3 })]
    [InlineData(new ulong[] { 1, 5, 9 }, new ulong[] { 2, 5, 10, 11 }, new ulong[] { 1, 2, 5, 9, 10, 11 })]
    [InlineData(new ulong[] { 4, 6 }, new ulong[] { 4, 6 }, new ulong[] { 4, 6 })]
    [InlineData(new ulong[] { 7, 8 }, new ulong[] { 1, 2 }, new ulong[] { 1, 2, 7, 8 })]
    public void TheUnionIsAscendingWithoutDuplicatesEvenInPlace(ulong[] a, ulong[] b, ulong[] expected)
    {
        var buffer = new ulong[16];
        a.CopyTo(buffer, 0);
        int n = DirtyPageSets.Union(buffer.AsSpan(0, a.Length), b, buffer);
        Assert.Equal(expected, buffer.AsSpan(0, n).ToArray());
    }
}
