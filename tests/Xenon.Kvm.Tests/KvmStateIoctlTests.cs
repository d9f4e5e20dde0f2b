using Xenon.Kvm.Abi;

namespace Xenon.Kvm.Tests;

/// <summary>The save/restore ioctls on the real /dev/kvm: each piece of vCPU and VM state read back, written, and read
/// again unchanged (no guest runs, so the state is at rest).</summary>
[Trait("Requires", "Kvm")]
public sealed unsafe class KvmStateIoctlTests : IDisposable
{
    private KvmSystem _kvm = null!;
    private KvmVm _vm = null!;
    private KvmVcpu _vcpu = null!;

    /// <summary>A VM with the in-kernel irqchip and PIT and one vCPU with the host's supported CPUID.</summary>
    private void Open()
    {
        if (!KvmSystem.IsAvailable(out string reason)) Assert.Skip($"needs /dev/kvm ({reason}); the nested tier runs this test inside the nested host");
        _kvm = KvmSystem.Open();
        _vm = _kvm.CreateVm();
        _vm.SetTssAddr(0xfffbd000);
        _vm.CreateIrqchip();
        _vm.CreatePit2(KvmPitConfig.SpeakerDummy);
        _vcpu = _vm.CreateVcpu(0);
        _vcpu.SetCpuid(_kvm.GetSupportedCpuid());
    }

    [Fact]
    public void TheMsrIndexListHasTheArchitecturalMsrs()
    {
        Open();
        var list = _kvm.GetMsrIndexList();
        Assert.Contains(0x10u, list);          // IA32_TSC
        Assert.Contains(0xc0000082u, list);    // LSTAR
        Assert.Contains(0x4b564d01u, list);    // kvmclock system time (new)
    }

    [Fact]
    public void CpuidReadsBackWhatWasSet()
    {
        Open();
        var supported = _kvm.GetSupportedCpuid();
        var read = _vcpu.GetCpuid();
        Assert.Equal(supported.Length, read.Length);
        Assert.Equal(supported[0].Eax, read[0].Eax);
    }

    [Fact]
    public void XsaveRoundTripsAndCarriesTheLegacyFpuState()
    {
        Open();
        int size = _vm.XsaveSize;
        Assert.True(size >= KvmXsave.LegacySize, $"XSAVE size {size}");
        var image = new byte[size];
        _vcpu.GetXsave(image);
        // FCW is the first word of the legacy region; XSTATE_BV (offset 512) bit 0 says the x87 state is not in its
        // initial configuration, without which KVM would report the initial FCW 0x37f instead
        BitConverter.TryWriteBytes(image.AsSpan(0), (ushort)0x27f);
        BitConverter.TryWriteBytes(image.AsSpan(512), BitConverter.ToUInt64(image, 512) | 1);
        _vcpu.SetXsave(image);
        var again = new byte[size];
        _vcpu.GetXsave(again);
        Assert.Equal(0x27f, BitConverter.ToUInt16(again, 0));
        Assert.Equal(0x27f, _vcpu.GetFpu().Fcw);
    }

    [Fact]
    public void Xcr0RoundTrips()
    {
        Open();
        var xcrs = _vcpu.GetXcrs();
        Assert.True(xcrs.NrXcrs >= 1);
        Assert.Equal(0u, xcrs.Get(0).Xcr);
        Assert.Equal(1UL, xcrs.Get(0).Value & 1); // x87 is always enabled
        _vcpu.SetXcrs(xcrs);
        Assert.Equal(xcrs.Get(0).Value, _vcpu.GetXcrs().Get(0).Value);
    }

    [Fact]
    public void VcpuEventsAndDebugRegistersRoundTrip()
    {
        Open();
        var events = _vcpu.GetVcpuEvents();
        Assert.NotEqual(0u, events.Flags & KvmVcpuEvents.ValidNmiPending);
        _vcpu.SetVcpuEvents(events);

        var dr = _vcpu.GetDebugRegs();
        dr.Db[0] = 0x1000;
        dr.Dr7 = 0x401; // L0, reserved bit 10 set
        _vcpu.SetDebugRegs(dr);
        var again = _vcpu.GetDebugRegs();
        Assert.Equal(0x1000UL, again.Db[0]);
        Assert.Equal(0x401UL, again.Dr7);
    }

    [Fact]
    public void MsrsWrittenAreReadBack()
    {
        Open();
        Span<KvmMsrEntry> set = [new KvmMsrEntry { Index = 0xc0000082, Data = 0xffffffff81000000 }, new KvmMsrEntry { Index = 0x174, Data = 0x10 }];
        Assert.Equal(2, _vcpu.SetMsrs(set));
        Span<KvmMsrEntry> get = [new KvmMsrEntry { Index = 0xc0000082 }, new KvmMsrEntry { Index = 0x174 }];
        Assert.Equal(2, _vcpu.GetMsrs(get));
        Assert.Equal(0xffffffff81000000UL, get[0].Data);
        Assert.Equal(0x10UL, get[1].Data);
    }

    [Fact]
    public void PicIoapicAndPitRoundTrip()
    {
        Open();
        var master = _vm.GetIrqchip(KvmIrqchip.PicMaster);
        master.Pic.Imr = 0xfa;
        master.Pic.IrqBase = 0x20;
        _vm.SetIrqchip(master);
        var back = _vm.GetIrqchip(KvmIrqchip.PicMaster);
        Assert.Equal(0xfa, back.Pic.Imr);
        Assert.Equal(0x20, back.Pic.IrqBase);

        var ioapic = _vm.GetIrqchip(KvmIrqchip.Ioapic);
        Assert.Equal(0xfec00000UL, ioapic.IoapicState.BaseAddress);
        ioapic.IoapicState.Redirtbl[3] = 0x31; // vector 0x31, unmasked
        _vm.SetIrqchip(ioapic);
        var ioapicBack = _vm.GetIrqchip(KvmIrqchip.Ioapic);
        Assert.Equal(0x31UL, ioapicBack.IoapicState.Redirtbl[3] & 0xff);

        var pit = _vm.GetPit2();
        pit.Channel0.Count = 1193;
        pit.Channel0.Mode = 2;
        _vm.SetPit2(pit);
        var pitBack = _vm.GetPit2();
        Assert.Equal(1193u, pitBack.Channel0.Count);
        Assert.Equal(2, pitBack.Channel0.Mode);
    }

    [Fact]
    public void TheClockIsSetToWhatWasSaved()
    {
        Open();
        _vm.SetClock(new KvmClockData { Clock = 5_000_000_000 });
        ulong now = _vm.GetClock().Clock;
        Assert.InRange(now, 5_000_000_000UL, 5_000_000_000UL + 10_000_000_000UL);
    }

    public void Dispose()
    {
        _vcpu?.Dispose();
        _vm?.Dispose();
        _kvm?.Dispose();
    }
}
