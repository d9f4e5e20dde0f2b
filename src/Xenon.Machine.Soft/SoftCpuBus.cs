using Xenon.Emulator.Memory;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft.Apic;
using Xenon.Machine.Soft.Platform;

namespace Xenon.Machine.Soft;

/// <summary>
/// What one soft vCPU sees of the machine: guest RAM straight from <see cref="GuestMemory"/>, the platform devices the
/// backend emulates itself (PIC, PIT, this vCPU's local APIC page, the IOAPIC, as KVM does in the kernel), and every
/// other port or MMIO access handed to the
/// exit handler of the current <see cref="SoftVcpuBackend.Run"/> call. One instance a vCPU, used only on its thread.
/// </summary>
internal sealed class SoftCpuBus : IStableRam, IPortIo
{
    private readonly GuestMemory _memory;
    private readonly SoftPlatform? _platform;
    private readonly int _vcpu;
    // Backing for the handler's data span: the I/O path allocates nothing.
    private readonly byte[] _io = new byte[8];

    public SoftCpuBus(GuestMemory memory, SoftPlatform? platform, int vcpu)
    {
        _memory = memory;
        _platform = platform;
        _vcpu = vcpu;
    }

    /// <summary>This vCPU's local APIC (null without interrupt controllers): its page is visible to this vCPU only.</summary>
    public LocalApic? Apic { get; set; }

    /// <summary>The handler of the Run call in progress (null outside Run: accesses then read all ones and drop writes).</summary>
    public IVcpuExitHandler? Handler { get; set; }

    // GuestMemory's RAM is host memory mapped for the machine's life, so its spans are stable (IStableRam): the CPU keeps
    // host pointers to RAM pages in its TLB.
    public Span<byte> GetRam(ulong gpa, int length) => _memory.TryGetSpan(gpa, length, out var span) ? span : [];

    public ulong ReadMmio(ulong gpa, int size)
    {
        if (Apic is { } apic && apic.Decodes(gpa)) return apic.Read((uint)(gpa & 0xFFF), size);
        if (_platform is not null && SoftPlatform.IsIoApic(gpa)) return ReadIoApic(gpa, size);
        var data = _io.AsSpan(0, size);
        data.Fill(0xff);
        Handler?.Mmio(_vcpu, gpa, data, isWrite: false);
        return Load(data);
    }

    public void WriteMmio(ulong gpa, int size, ulong value)
    {
        if (Apic is { } apic && apic.Decodes(gpa))
        {
            apic.Write((uint)(gpa & 0xFFF), size, value);
            return;
        }
        if (_platform is not null && SoftPlatform.IsIoApic(gpa))
        {
            // IOREGSEL and IOWIN are 32-bit registers at 16-byte slots; a write of another width takes its low bytes
            if ((gpa & 0xF) == 0) _platform.IoApic.Write((uint)(gpa & 0xFF0), (uint)value);
            return;
        }
        var data = _io.AsSpan(0, size);
        Store(data, value);
        Handler?.Mmio(_vcpu, gpa, data, isWrite: true);
    }

    private ulong ReadIoApic(ulong gpa, int size)
    {
        uint value = _platform!.IoApic.Read((uint)(gpa & 0xFF0)) >> (8 * (int)(gpa & 3));
        return size >= 4 ? value : value & ((1u << (8 * size)) - 1);
    }

    public uint In(ushort port, int size)
    {
        if (_platform is not null && _platform.TryRead(port, size, out uint value)) return value;
        var data = _io.AsSpan(0, size);
        data.Fill(0xff);
        Handler?.PortIo(_vcpu, port, data, isWrite: false);
        return (uint)Load(data);
    }

    public void Out(ushort port, int size, uint value)
    {
        if (_platform is not null && _platform.TryWrite(port, size, value)) return;
        var data = _io.AsSpan(0, size);
        Store(data, value);
        Handler?.PortIo(_vcpu, port, data, isWrite: true);
    }

    private static ulong Load(ReadOnlySpan<byte> data)
    {
        ulong v = 0;
        for (int i = data.Length - 1; i >= 0; i--) v = (v << 8) | data[i];
        return v;
    }

    private static void Store(Span<byte> data, ulong value)
    {
        for (int i = 0; i < data.Length; i++, value >>= 8) data[i] = (byte)value;
    }
}
