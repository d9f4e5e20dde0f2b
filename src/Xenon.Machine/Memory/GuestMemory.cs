using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xenon.Kvm;

namespace Xenon.Machine.Memory;

/// <summary>
/// Guest RAM: the one checked API through which every guest-physical address is turned into
/// host memory. A range is handed out only if it lies wholly inside one region; everything
/// else fails (TryGetSpan returns false, the throwing forms raise <see cref="GuestMemoryException"/>).
/// </summary>
public sealed unsafe class GuestMemory : IDisposable
{
    private readonly GuestMemoryRegion[] _regions;
    private readonly HostMemoryMapping[] _mappings;
    private IGuestMemoryWriteObserver? _writeObserver;

    private GuestMemory(GuestMemoryRegion[] regions, HostMemoryMapping[] mappings)
    {
        _regions = regions;
        _mappings = mappings;
        foreach (var r in regions) RamSize += r.Size;
    }

    /// <summary>Total bytes of guest RAM.</summary>
    public ulong RamSize { get; }

    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    /// <summary>The host mapping behind each region, same order as <see cref="Regions"/>.</summary>
    public IReadOnlyList<HostMemoryMapping> Mappings => _mappings;

    /// <summary>Lays out <paramref name="ramSize"/> bytes of RAM the PC way: below the 32-bit MMIO hole, and the rest above 4 GiB.</summary>
    public static GuestMemory CreateX86(ulong ramSize, GuestMemoryBacking backing = GuestMemoryBacking.Anonymous)
    {
        if (ramSize < X86Layout.MinimumRam)
            throw new ArgumentOutOfRangeException(nameof(ramSize), $"guest memory must be at least {X86Layout.MinimumRam / X86Layout.MiB} MiB");
        if ((ramSize & 0xfff) != 0)
            throw new ArgumentOutOfRangeException(nameof(ramSize), "guest memory must be a multiple of 4 KiB");
        ulong low = Math.Min(ramSize, X86Layout.MmioHoleStart);
        var plan = new List<(ulong Gpa, ulong Size)> { (0, low) };
        if (ramSize > low) plan.Add((X86Layout.MmioHoleEnd, ramSize - low));
        return Create(plan, backing);
    }

    /// <summary>Creates RAM regions at the given guest-physical ranges (page-aligned, non-overlapping, ascending).</summary>
    public static GuestMemory Create(IReadOnlyList<(ulong Gpa, ulong Size)> layout, GuestMemoryBacking backing = GuestMemoryBacking.Anonymous)
    {
        var regions = new GuestMemoryRegion[layout.Count];
        var maps = new HostMemoryMapping[layout.Count];
        try
        {
            ulong prevEnd = 0;
            for (int i = 0; i < layout.Count; i++)
            {
                var (gpa, size) = layout[i];
                if ((gpa & 0xfff) != 0 || (size & 0xfff) != 0 || size == 0)
                    throw new ArgumentException($"region {i}: 0x{gpa:x}+0x{size:x} is not page-aligned and non-empty");
                if (i > 0 && gpa < prevEnd) throw new ArgumentException($"region {i} overlaps or is out of order");
                maps[i] = backing == GuestMemoryBacking.SharedMemfd
                    ? HostMemoryMapping.CreateMemfd($"xenon-ram{i}", size)
                    : HostMemoryMapping.CreateAnonymous(size);
                regions[i] = new GuestMemoryRegion(i, gpa, size, maps[i].Address);
                prevEnd = gpa + size;
            }
        }
        catch
        {
            foreach (var m in maps) m?.Dispose();
            throw;
        }
        return new GuestMemory(regions, maps);
    }

    /// <summary>Who is told of writes that did not come from a vCPU (see <see cref="NotifyWritten"/>): the soft CPU
    /// backend, whose decoded code they may make stale. Null (the KVM case) makes the notification a null check. Set it
    /// before devices run; it can be set once (to replace it, set null first).</summary>
    public IGuestMemoryWriteObserver? WriteObserver
    {
        get => Volatile.Read(ref _writeObserver);
        set
        {
            if (value is not null && Interlocked.CompareExchange(ref _writeObserver, value, null) is { } existing && !ReferenceEquals(existing, value))
                throw new InvalidOperationException("guest memory already has a write observer");
            if (value is null) Volatile.Write(ref _writeObserver, null);
        }
    }

    /// <summary>Adds <paramref name="observer"/> beside the observer already set, if any (a migration's device-write
    /// log beside the soft CPU's code cache): each is told of every write from then on. Any thread, any time; undo
    /// with <see cref="RemoveWriteObserver"/>.</summary>
    public void AddWriteObserver(IGuestMemoryWriteObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        while (true)
        {
            var existing = Volatile.Read(ref _writeObserver);
            if (WriteObserverPair.Contains(existing, observer)) return;
            var next = existing is null ? observer : new WriteObserverPair(existing, observer);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _writeObserver, next, existing), existing)) return;
        }
    }

    /// <summary>Removes an observer added with <see cref="AddWriteObserver"/> (or set), leaving the others.</summary>
    public void RemoveWriteObserver(IGuestMemoryWriteObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        while (true)
        {
            var existing = Volatile.Read(ref _writeObserver);
            var next = WriteObserverPair.Without(existing, observer);
            if (ReferenceEquals(next, existing)) return;
            if (ReferenceEquals(Interlocked.CompareExchange(ref _writeObserver, next, existing), existing)) return;
        }
    }

    /// <summary>
    /// Devices call this after they wrote guest RAM through a span or host address from this class (DMA into a
    /// virtio buffer, a used-ring entry), so that a backend caching decoded guest code drops what the write made
    /// stale. After, not before: code decoded while the write was in progress is dropped too. The vCPUs' own writes
    /// need no call. A null check when no <see cref="WriteObserver"/> is set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NotifyWritten(ulong gpa, int length) => _writeObserver?.OnGuestMemoryWritten(gpa, length);

    public GuestMemoryRegion? FindRegion(ulong gpa)
    {
        foreach (var r in _regions)
            if (r.Contains(gpa)) return r;
        return null;
    }

    /// <summary>True if [gpa, gpa+length) is wholly inside one RAM region.</summary>
    public bool IsValidRange(ulong gpa, ulong length) => TryTranslate(gpa, length, out _);

    /// <summary>Host address of [gpa, gpa+length) if it lies inside one region.</summary>
    public bool TryTranslate(ulong gpa, ulong length, out nint host)
    {
        foreach (var r in _regions)
        {
            if (gpa >= r.GuestAddress && gpa - r.GuestAddress < r.Size)
            {
                ulong off = gpa - r.GuestAddress;
                if (length <= r.Size - off)
                {
                    host = r.HostAddress + (nint)off;
                    return true;
                }
                break;
            }
        }
        host = 0;
        return false;
    }

    public bool TryGetSpan(ulong gpa, int length, out Span<byte> span)
    {
        if (length >= 0 && TryTranslate(gpa, (ulong)length, out var host))
        {
            // bounds checked by TryTranslate just above: the whole range is inside one mapping
            span = new Span<byte>((void*)host, length);
            return true;
        }
        span = default;
        return false;
    }

    /// <summary>
    /// Gives the whole host pages of [<paramref name="gpa"/>, gpa+<paramref name="length"/>) back to the host
    /// (balloon inflation, free page reporting): they read as zero afterwards and are allocated again when next
    /// touched. False, with nothing released, when the range is empty, not host-page aligned or not inside one
    /// RAM region, or when the host refuses (the caller counts it; the guest's view is unchanged but for zeroes).
    /// </summary>
    public bool Discard(ulong gpa, ulong length)
    {
        ulong pageMask = (ulong)Environment.SystemPageSize - 1;
        if (length == 0 || ((gpa | length) & pageMask) != 0) return false;
        for (int i = 0; i < _regions.Length; i++)
        {
            var r = _regions[i];
            if (!r.Contains(gpa)) continue;
            ulong offset = gpa - r.GuestAddress;
            if (length > r.Size - offset) return false;
            if (!HostPageRelease.TryRelease(_mappings[i], offset, length, out _)) return false;
            // The pages now read as zero: to a backend that decoded code there, that is a write.
            const int Chunk = 1 << 30;
            for (ulong done = 0; done < length; done += Chunk) NotifyWritten(gpa + done, (int)Math.Min(length - done, Chunk));
            return true;
        }
        return false;
    }

    public Span<byte> GetSpan(ulong gpa, int length)
    {
        if (!TryGetSpan(gpa, length, out var span)) throw new GuestMemoryException(gpa, (ulong)Math.Max(length, 0));
        return span;
    }

    public void Write(ulong gpa, ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(gpa, data.Length));
        NotifyWritten(gpa, data.Length);
    }

    public void Read(ulong gpa, Span<byte> data) => GetSpan(gpa, data.Length).CopyTo(data);

    public T Read<T>(ulong gpa) where T : unmanaged => MemoryMarshal.Read<T>(GetSpan(gpa, Unsafe.SizeOf<T>()));

    public void Write<T>(ulong gpa, in T value) where T : unmanaged
    {
        MemoryMarshal.Write(GetSpan(gpa, Unsafe.SizeOf<T>()), in value);
        NotifyWritten(gpa, Unsafe.SizeOf<T>());
    }

    public void Dispose()
    {
        foreach (var m in _mappings) m.Dispose();
    }
}
