using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// A host thread's hard CPU affinity (sched_setaffinity/sched_getaffinity on a thread id): how the toolstack pins
/// vCPU threads (xl vcpu-pin, xl.cfg <c>cpus=</c>). The kernel's cpu_set_t is a bitmap of 64-bit words; 1024 CPUs
/// (glibc's CPU_SETSIZE) is the size used here.
/// </summary>
public static unsafe class ThreadAffinity
{
    /// <summary>glibc's CPU_SETSIZE: the highest CPU number a mask here can name, plus one.</summary>
    public const int MaxCpus = 1024;

    private const int Words = MaxCpus / 64;

    /// <summary>Sets thread <paramref name="tid"/>'s affinity to <paramref name="cpus"/> (CPU numbers below
    /// <see cref="MaxCpus"/>). Throws <see cref="KvmException"/> (EINVAL: no usable CPU in the set; ESRCH: no such thread).</summary>
    public static void Set(int tid, ReadOnlySpan<int> cpus)
    {
        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        foreach (int cpu in cpus)
        {
            // Bounds check next to the write into the stack buffer.
            if ((uint)cpu >= MaxCpus) throw new ArgumentOutOfRangeException(nameof(cpus), cpu, $"CPU numbers go up to {MaxCpus - 1}");
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
        if (Libc.sched_setaffinity(tid, (nuint)(Words * sizeof(ulong)), mask) != 0)
            throw KvmException.FromLastError("sched_setaffinity");
    }

    /// <summary>Thread <paramref name="tid"/>'s affinity as CPU numbers in ascending order.</summary>
    public static List<int> Get(int tid)
    {
        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        if (Libc.sched_getaffinity(tid, (nuint)(Words * sizeof(ulong)), mask) != 0)
            throw KvmException.FromLastError("sched_getaffinity");
        var cpus = new List<int>();
        for (int w = 0; w < Words; w++)
            for (int b = 0; b < 64; b++)
                if ((mask[w] & (1UL << b)) != 0) cpus.Add(w * 64 + b);
        return cpus;
    }
}
