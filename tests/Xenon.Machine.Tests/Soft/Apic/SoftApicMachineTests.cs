using System.Diagnostics;
using Iced.Intel;
using Xenon.Machine.Backend;
using Xenon.Machine.State;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>Tiny guests on the soft backend that use the local APICs, the IOAPIC, MSI and a second vCPU: no KVM needed.</summary>
public sealed class SoftApicMachineTests
{
    private const uint Svr = ApicTestMachine.Lapic + 0xF0, Eoi = ApicTestMachine.Lapic + 0xB0, IcrLow = ApicTestMachine.Lapic + 0x300,
        IcrHigh = ApicTestMachine.Lapic + 0x310, LvtTimer = ApicTestMachine.Lapic + 0x320, TimerInitial = ApicTestMachine.Lapic + 0x380,
        TimerDivide = ApicTestMachine.Lapic + 0x3E0, ApicIdRegister = ApicTestMachine.Lapic + 0x20;
    private const ulong Handlers = 0x11000;

    // A handler that counts into [Counter], signals EOI and returns.
    private static void CountAndEoi(Assembler a)
    {
        a.@lock.inc(__dword_ptr[(uint)ApicTestMachine.Counter]);
        a.mov(__dword_ptr[Eoi], 0);
        a.iretd();
    }

    // Masks the 8259s (the ISA lines reach them too, and through LINT0 the CPU), enables the APIC, then sleeps in HLT
    // with interrupts on, for ever.
    private static void EnableAndIdle(Assembler a, Action<Assembler>? setup = null)
    {
        a.mov(al, 0xFF);
        a.@out(0x21, al);
        a.@out(0xA1, al);
        a.mov(__dword_ptr[Svr], 0x1FF);
        setup?.Invoke(a);
        var idle = a.CreateLabel();
        a.sti();
        a.Label(ref idle);
        a.hlt();
        a.jmp(idle);
    }

    private static void PeriodicTimerGuest(ApicTestMachine m) =>
        m.Code(ApicTestMachine.Start, a => EnableAndIdle(a, b =>
        {
            b.mov(__dword_ptr[TimerDivide], 0xB);       // divide by 1: a 1 GHz count
            b.mov(__dword_ptr[LvtTimer], 0x20030);      // periodic, vector 0x30
            b.mov(__dword_ptr[TimerInitial], 1_000_000); // 1 ms
        }));

    [Fact]
    public void TheLocalApicTimerInterruptsAHaltedCpuPeriodically()
    {
        using var m = ApicTestMachine.Create(1, m =>
        {
            PeriodicTimerGuest(m);
            m.Handler(0x30, Handlers, CountAndEoi);
        });
        m.WaitUntil(() => m.Read32(ApicTestMachine.Counter) >= 5, "the first timer interrupts");
        uint first = m.Read32(ApicTestMachine.Counter);
        var sw = Stopwatch.StartNew();
        Thread.Sleep(500);
        uint ticks = m.Read32(ApicTestMachine.Counter) - first;
        double expected = sw.Elapsed.TotalMilliseconds;
        // 1 ms period on host time: never faster. The timer thread's millisecond waits, and on a loaded host its
        // scheduling, make it slower (missed periods collapse into one interrupt, as an IRR bit does)
        Assert.InRange(ticks, 10u, (uint)(expected * 1.05) + 2);
    }

    [Fact]
    public void TheBootCpuStartsTheSecondWithInitAndSipiAndBothCountWithLock()
    {
        const int Each = 200_000;
        const uint Shared = 0x600, ApDone = 0x604, ApId = 0x608, ApXadd = 0x60C, BspDone = 0x610;
        using var m = ApicTestMachine.Create(2, m =>
        {
            m.Code(ApicTestMachine.Start, a =>
            {
                a.mov(__dword_ptr[Svr], 0x1FF);
                a.mov(__dword_ptr[IcrHigh], 1u << 24); // APIC 1
                a.mov(__dword_ptr[IcrLow], 0x4500);    // INIT, assert
                a.mov(__dword_ptr[IcrLow], 0x8500);    // INIT level de-assert: ignored
                a.mov(__dword_ptr[IcrLow], 0x4608);    // start-up at 0x8000
                a.mov(__dword_ptr[IcrLow], 0x4608);    // the second SIPI of the MP protocol: ignored by a running AP
                a.mov(ecx, Each);
                var loop = a.CreateLabel();
                a.Label(ref loop);
                a.@lock.inc(__dword_ptr[Shared]);
                a.dec(ecx);
                a.jnz(loop);
                var wait = a.CreateLabel();
                a.Label(ref wait);
                a.pause();
                a.cmp(__dword_ptr[ApDone], 1);
                a.jne(wait);
                a.mov(__dword_ptr[BspDone], 1);
                a.cli();
                a.hlt();
            });
            // The AP starts in real mode at 0x8000: into protected mode through the same GDT, then its own APIC ID
            // from its APIC page, then the same count with LOCK INC, and LOCK XADD on a second word.
            m.Memory.Write(0x8100, (ushort)23);
            m.Memory.Write(0x8102, (uint)ApicTestMachine.Gdt);
            m.Code(0x8000, a =>
            {
                a.cli();
                a.xor(ax, ax);
                a.mov(ds, ax);
                a.lgdt(__[0x8100]);
                a.mov(eax, cr0);
                a.or(eax, 1);
                a.mov(cr0, eax);
                a.jmp(ApicTestMachine.CodeSelector, 0x8200);
            }, bitness: 16);
            m.Code(0x8200, a =>
            {
                a.mov(ax, ApicTestMachine.DataSelector);
                a.mov(ds, ax);
                a.mov(es, ax);
                a.mov(ss, ax);
                a.mov(esp, 0x8F000);
                a.mov(eax, __dword_ptr[ApicIdRegister]);
                a.mov(__dword_ptr[ApId], eax);
                a.mov(ecx, Each);
                var loop = a.CreateLabel();
                a.Label(ref loop);
                a.@lock.inc(__dword_ptr[Shared]);
                a.mov(eax, 1);
                a.@lock.xadd(__dword_ptr[ApXadd], eax);
                a.dec(ecx);
                a.jnz(loop);
                a.mov(__dword_ptr[ApDone], 1);
                a.cli();
                a.hlt();
            });
        });
        m.WaitUntil(() => m.Read32(BspDone) == 1, "both CPUs to finish counting");
        Assert.Equal((uint)(2 * Each), m.Read32(Shared));
        Assert.Equal((uint)Each, m.Read32(ApXadd));
        Assert.Equal(VcpuRunState.Runnable, m.Vcpu(1).RunState);
        Assert.Equal(1u << 24, m.Read32(ApId)); // the AP reads its own APIC at the same address as the BSP
    }

    [Fact]
    public void AnMsiFromAnotherThreadWakesTheHaltedCpu()
    {
        using var m = ApicTestMachine.Create(1, m =>
        {
            m.Code(ApicTestMachine.Start, a => EnableAndIdle(a));
            m.Handler(0x41, Handlers, CountAndEoi);
        });
        m.WaitUntil(() => m.Vcpu(0).Cpu.State.Halted, "the guest to halt");
        for (uint i = 1; i <= 20; i++)
        {
            var sender = new Thread(() => m.Backend.Msi.SignalMsi(0xFEE0_0000, 0x41)); // APIC 0, fixed, edge
            sender.Start();
            sender.Join();
            m.WaitUntil(() => m.Read32(ApicTestMachine.Counter) == i, $"MSI {i} to be handled");
        }
        m.Backend.Msi.SignalMsi(0xFEF0_0000, 0x41); // not an interrupt address
        m.Backend.Msi.SignalMsi(0xFEE0_0000, 0x05); // an illegal vector
        m.Backend.Msi.SignalMsi(0xFEE0_7000, 0x41); // no APIC 7
        Thread.Sleep(50);
        Assert.Equal(20u, m.Read32(ApicTestMachine.Counter));
        Assert.Equal((20L, 3L), m.Backend.MsiCounts);
    }

    // Programs IOAPIC pin PIN with the redirection entry LOW (destination APIC 0).
    private static void RouteIoApicPin(Assembler a, int pin, uint low)
    {
        a.mov(__dword_ptr[ApicTestMachine.IoApicBase], (uint)(0x10 + 2 * pin));
        a.mov(__dword_ptr[ApicTestMachine.IoApicBase + 0x10], low);
        a.mov(__dword_ptr[ApicTestMachine.IoApicBase], (uint)(0x11 + 2 * pin));
        a.mov(__dword_ptr[ApicTestMachine.IoApicBase + 0x10], 0);
    }

    [Fact]
    public void EdgesOnAnIoApicPinReachTheCpu()
    {
        using var m = ApicTestMachine.Create(1, m =>
        {
            m.Code(ApicTestMachine.Start, a => EnableAndIdle(a, b => RouteIoApicPin(b, 5, 0x45)));
            m.Handler(0x45, Handlers, CountAndEoi);
        });
        m.WaitUntil(() => m.Vcpu(0).Cpu.State.Halted, "the guest to halt");
        var line = m.Backend.GetIrqLine(5);
        for (uint i = 1; i <= 10; i++)
        {
            line.Pulse();
            m.WaitUntil(() => m.Read32(ApicTestMachine.Counter) == i, $"edge {i} to be handled");
        }
    }

    [Fact]
    public void ALevelIoApicPinInterruptsUntilTheDeviceDeassertsIt()
    {
        // the handler tells the "device" (port 0xF4) it was serviced only on the third interrupt: until then the line
        // stays asserted and every EOI brings the interrupt back (remote IRR cleared by the EOI broadcast)
        using var m = ApicTestMachine.Create(1, m =>
        {
            m.Code(ApicTestMachine.Start, a => EnableAndIdle(a, b => RouteIoApicPin(b, 10, 0x8000 | 0x4A)));
            m.Handler(0x4A, Handlers, a =>
            {
                var eoi = a.CreateLabel();
                a.@lock.inc(__dword_ptr[(uint)ApicTestMachine.Counter]);
                a.cmp(__dword_ptr[(uint)ApicTestMachine.Counter], 3);
                a.jne(eoi);
                a.mov(al, 0xAC);
                a.@out(0xF4, al);
                a.Label(ref eoi);
                a.mov(__dword_ptr[Eoi], 0);
                a.iretd();
            });
        });
        m.WaitUntil(() => m.Vcpu(0).Cpu.State.Halted, "the guest to halt");
        var line = m.Backend.GetIrqLine(10);
        m.Port.OnWrite = _ => line.SetLevel(false);
        line.SetLevel(true);
        m.WaitUntil(() => m.Port.Written.Length == 1, "the handler to service the device");
        Thread.Sleep(50);
        Assert.Equal(3u, m.Read32(ApicTestMachine.Counter));
        var ioapic = m.Backend.GetPlatformState().Ioapic;
        Assert.Equal(0UL, ioapic.Redirection[10] & (1UL << 14)); // remote IRR clear after the last EOI
    }

    [Fact]
    public void ACapturedLapicStateContinuesItsTimerInANewMachine()
    {
        byte[] image, saved;
        uint before;
        using (var first = ApicTestMachine.Create(1, m =>
               {
                   PeriodicTimerGuest(m);
                   m.Handler(0x30, Handlers, CountAndEoi);
               }))
        {
            first.WaitUntil(() => first.Read32(ApicTestMachine.Counter) >= 10, "timer interrupts");
            first.Vm.Pause();
            before = first.Read32(ApicTestMachine.Counter);
            var state = first.Vm.CaptureState();
            uint[] page = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(state.Vcpus[0].Lapic).ToArray();
            Assert.Equal(0x1FFu, page[0xF0 >> 2]);         // SVR
            Assert.Equal(0x20030u, page[0x320 >> 2]);      // LVT timer
            Assert.Equal(1_000_000u, page[0x380 >> 2]);    // initial count
            Assert.InRange(page[0x390 >> 2], 1u, 1_000_000u); // current count
            Assert.Equal(0x50014u, page[0x30 >> 2]);       // version
            saved = MachineStateCodec.Encode(state);
            image = first.Memory.GetSpan(0, (int)ApicTestMachine.RamSize).ToArray();
        }
        using var second = ApicTestMachine.FromState(image, MachineStateCodec.Decode(saved));
        second.WaitUntil(() => second.Read32(ApicTestMachine.Counter) >= before + 20, "the restored timer to tick");
    }
}
