namespace Xenon.Machine.Memory;

/// <summary>Two write observers told of every write, first then second: how <see cref="GuestMemory.AddWriteObserver"/>
/// puts a migration's device-write log beside the soft CPU's code cache, which both need every device write.
/// Immutable: adding or removing builds a new pair, swapped in atomically.</summary>
internal sealed class WriteObserverPair(IGuestMemoryWriteObserver first, IGuestMemoryWriteObserver second) : IGuestMemoryWriteObserver
{
    public IGuestMemoryWriteObserver First { get; } = first;
    public IGuestMemoryWriteObserver Second { get; } = second;

    public void OnGuestMemoryWritten(ulong gpa, int length)
    {
        First.OnGuestMemoryWritten(gpa, length);
        Second.OnGuestMemoryWritten(gpa, length);
    }

    /// <summary><paramref name="chain"/> without <paramref name="observer"/> (the same object if it is not in it).</summary>
    public static IGuestMemoryWriteObserver? Without(IGuestMemoryWriteObserver? chain, IGuestMemoryWriteObserver observer)
    {
        if (chain is null || ReferenceEquals(chain, observer)) return null;
        if (chain is not WriteObserverPair pair) return chain;
        var first = Without(pair.First, observer);
        var second = Without(pair.Second, observer);
        if (ReferenceEquals(first, pair.First) && ReferenceEquals(second, pair.Second)) return pair;
        if (first is null) return second;
        if (second is null) return first;
        return new WriteObserverPair(first, second);
    }

    /// <summary>Whether <paramref name="observer"/> is <paramref name="chain"/> or one of its members.</summary>
    public static bool Contains(IGuestMemoryWriteObserver? chain, IGuestMemoryWriteObserver observer) =>
        ReferenceEquals(chain, observer) ||
        (chain is WriteObserverPair pair && (Contains(pair.First, observer) || Contains(pair.Second, observer)));
}
