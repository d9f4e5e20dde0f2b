namespace Xenon.Emulator.Memory;

/// <summary>What an access does; the value is also the bit position in <see cref="TlbEntry.Allowed"/> (plus 3 for user mode).</summary>
public enum AccessKind
{
    Read = 0,
    Write = 1,
    Execute = 2,
}

internal struct TlbEntry
{
    /// <summary>Linear page number + 1; 0 = empty.</summary>
    public ulong Tag;
    public ulong PhysPage;
    /// <summary>Bit (kind + 3×user) set if that access may proceed without a walk (writes only once D is set); plus
    /// <see cref="HostKnown"/>.</summary>
    public byte Allowed;
    public bool Global;
    /// <summary>
    /// Host address of the 4 KiB RAM page <see cref="PhysPage"/> (0 = not known, or not RAM): filled by the CPU after
    /// a first access went the slow way, only for memories whose RAM never moves (<see cref="IStableRam"/>).
    /// </summary>
    public nint Host;

    /// <summary>Bit of <see cref="Allowed"/> set while <see cref="Host"/> is known, so translated code checks permission and
    /// host pointer with one compare (a refill clears it with the rest of the entry).</summary>
    public const byte HostKnown = 64;
}

/// <summary>
/// Software TLB: direct-mapped, 4 KiB granularity (large pages are entered one 4 KiB piece at a time). Caches the
/// effective permissions of the walk so a hit costs one compare; anything else (a miss, a permission the entry lacks,
/// the first write to a clean page) goes back to the page walk, which produces the exact fault or refills the entry.
/// </summary>
internal sealed class Tlb
{
    private const int Size = 4096;
    private readonly TlbEntry[] _entries = new TlbEntry[Size];
    private bool _hasLargePages;

    /// <summary>
    /// Moves on with every change to an entry (a fill, INVLPG, a flush), so a check made against the TLB stays true while
    /// the version is unchanged (the CPU's link epoch, see Cpu.LinkEpoch.cs). Only adding <see cref="TlbEntry.HostKnown"/>
    /// and the host pointer leaves it alone: no check it stands for reads them.
    /// </summary>
    public long Version;

    public static int Index(ulong linear) => (int)((linear >> 12) & (Size - 1));

    /// <summary>The slot <paramref name="linear"/> maps to (check its Tag before use).</summary>
    public ref TlbEntry Entry(ulong linear) => ref _entries[Index(linear)];

    public bool TryLookup(ulong linear, int accessBit, out ulong phys)
    {
        ref TlbEntry e = ref _entries[Index(linear)];
        if (e.Tag == (linear >> 12) + 1 && (e.Allowed & accessBit) != 0)
        {
            phys = e.PhysPage | (linear & 0xFFF);
            return true;
        }
        phys = 0;
        return false;
    }

    public void Insert(ulong linear, ulong physPage, byte allowed, bool global, bool large)
    {
        Version++;
        ref TlbEntry e = ref _entries[Index(linear)];
        e.Tag = (linear >> 12) + 1;
        e.PhysPage = physPage;
        e.Allowed = allowed;
        e.Global = global;
        e.Host = 0;
        _hasLargePages |= large;
    }

    /// <summary>INVLPG. A large page's other 4 KiB pieces may sit in other slots, so with large pages present everything goes.</summary>
    public void FlushPage(ulong linear)
    {
        Version++;
        if (_hasLargePages)
        {
            FlushAll(keepGlobal: false);
            return;
        }
        ref TlbEntry e = ref _entries[Index(linear)];
        if (e.Tag == (linear >> 12) + 1) e.Tag = 0;
    }

    public void FlushAll(bool keepGlobal)
    {
        Version++;
        bool large = false;
        for (int i = 0; i < Size; i++)
        {
            if (keepGlobal && _entries[i].Global && _entries[i].Tag != 0)
            {
                large = _hasLargePages;
                continue;
            }
            _entries[i].Tag = 0;
        }
        _hasLargePages = large;
    }
}
