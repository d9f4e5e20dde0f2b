using System.Buffers.Binary;
using Xenon.Emulator.Execution;
using Xenon.Machine.Memory;
using EmulatedCpu = Xenon.Emulator.Execution.Cpu;

namespace Xenon.Machine.Soft.Clock;

/// <summary>
/// One vCPU's kvmclock MSRs (KVM's "new" pair, offered through CPUID 0x40000001 bit 3). MSR_KVM_SYSTEM_TIME_NEW holds the
/// GPA of the vCPU's pvclock_vcpu_time_info with bit 0 as enable; MSR_KVM_WALL_CLOCK_NEW names where the wall clock at
/// kvmclock zero is written. Like KVM, any value is accepted: a GPA outside RAM (or a structure that does not fit in it)
/// leaves the clock unpublished, nothing faults. Runs on the vCPU's thread, except <see cref="Publish"/> after a restore.
/// </summary>
internal sealed class PvClockMsrs : IMsrExtension
{
    private const int TimeInfoSize = 32, WallClockSize = 12;
    private const byte StableBit = 1; // PVCLOCK_TSC_STABLE_BIT: every vCPU's page gives the same time

    private readonly KvmClock _clock;
    private readonly GuestMemory _memory;
    private readonly CodePageTracker _code;
    private readonly EmulatedCpu _cpu;
    private readonly Lock _gate = new();
    private ulong _systemTime, _wallClock;
    private uint _version;

    public PvClockMsrs(KvmClock clock, GuestMemory memory, CodePageTracker code, EmulatedCpu cpu)
    {
        _clock = clock;
        _memory = memory;
        _code = code;
        _cpu = cpu;
    }

    public bool TryRead(uint msr, out ulong value)
    {
        switch (msr)
        {
            case KvmClock.MsrSystemTimeNew: value = Volatile.Read(ref _systemTime); return true;
            case KvmClock.MsrWallClockNew: value = Volatile.Read(ref _wallClock); return true;
        }
        value = 0;
        return false;
    }

    public bool TryWrite(uint msr, ulong value)
    {
        switch (msr)
        {
            case KvmClock.MsrSystemTimeNew:
                Volatile.Write(ref _systemTime, value);
                Publish();
                return true;
            case KvmClock.MsrWallClockNew:
                Volatile.Write(ref _wallClock, value);
                PublishWallClock(value);
                return true;
        }
        return false;
    }

    public void TscChanged() => Publish();

    /// <summary>Writes the vCPU's pvclock_vcpu_time_info if it is enabled: tsc_timestamp and system_time taken at one host
    /// instant, so system_time + scale(tsc − tsc_timestamp) is the machine's kvmclock at any later TSC reading. The
    /// version is odd while the fields change, as the guest's retry loop expects.</summary>
    public void Publish()
    {
        lock (_gate)
        {
            ulong msr = Volatile.Read(ref _systemTime);
            if ((msr & 1) == 0) return;
            ulong gpa = msr & ~1UL;
            if (!_memory.TryGetSpan(gpa, TimeInfoSize, out var page)) return;
            long ticks = _cpu.HostTsc();
            ulong tsc = (ulong)(ticks + _cpu.State.TscOffset);
            ulong systemTime = (ulong)_clock.ClockAt(ticks);
            _version = (_version + 1) | 1;
            BinaryPrimitives.WriteUInt32LittleEndian(page, _version);
            Interlocked.MemoryBarrier();
            BinaryPrimitives.WriteUInt32LittleEndian(page[4..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(page[8..], tsc);
            BinaryPrimitives.WriteUInt64LittleEndian(page[16..], systemTime);
            BinaryPrimitives.WriteUInt32LittleEndian(page[24..], _clock.Mul);
            page[28] = (byte)_clock.Shift;
            page[29] = StableBit;
            page[30] = page[31] = 0;
            Interlocked.MemoryBarrier();
            _version++;
            BinaryPrimitives.WriteUInt32LittleEndian(page, _version);
            _code.NotifyWrite(gpa, TimeInfoSize);
        }
    }

    // pvclock_wall_clock {u32 version, u32 sec, u32 nsec}: the wall time at which kvmclock was zero.
    private void PublishWallClock(ulong gpa)
    {
        if (!_memory.TryGetSpan(gpa, WallClockSize, out var wall)) return;
        long ns = Math.Max(0, _clock.WallNsAtZero);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(wall);
        version = (version + 1) | 1;
        BinaryPrimitives.WriteUInt32LittleEndian(wall, version);
        Interlocked.MemoryBarrier();
        BinaryPrimitives.WriteUInt32LittleEndian(wall[4..], (uint)(ns / 1_000_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(wall[8..], (uint)(ns % 1_000_000_000));
        Interlocked.MemoryBarrier();
        BinaryPrimitives.WriteUInt32LittleEndian(wall, version + 1);
        _code.NotifyWrite(gpa, WallClockSize);
    }
}
