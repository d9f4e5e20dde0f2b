using Xenon.Emulator.Memory;
using Xenon.Machine.Soft.Apic;
using Xenon.Machine.Soft.Platform;
using static Xenon.Machine.Soft.Apic.ApicRegisters;
using static Xenon.Machine.Tests.Soft.Apic.ApicRig;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>
/// The local APIC and the PIC as signalling interrupt sources (<see cref="ISignalsInterrupts"/>): the CPU polls them
/// only after they raised its attention word, so every change that can make an interrupt deliverable must raise it.
/// </summary>
public sealed class ApicAttentionTests
{
    private static InterruptAttention Attached(LocalApic apic)
    {
        var word = new InterruptAttention();
        apic.AttachAttention(word);
        Assert.True(word.IsRaised); // attaching owes one poll
        word.TryClear();
        return word;
    }

    [Fact]
    public void AFixedIpiRaisesTheTargetsWordOnly()
    {
        var rig = new ApicRig().Enabled();
        var w0 = Attached(rig[0]);
        var w1 = Attached(rig[1]);
        SendIpi(rig[0], 0x40, destination: 1);
        Assert.True(w1.IsRaised);
        Assert.False(w0.IsRaised);
    }

    [Fact]
    public void AnIoApicDeliveryRaisesTheWord()
    {
        var rig = new ApicRig(1).Enabled();
        var w = Attached(rig[0]);
        rig.IoApic.Write(0x00, 0x18); // IOREGSEL: redirection entry 4, low word
        rig.IoApic.Write(0x10, 0x33); // vector 0x33, fixed, physical, edge, unmasked
        rig.IoApic.Write(0x00, 0x19);
        rig.IoApic.Write(0x10, 0);    // destination APIC 0
        rig.IoApic.SetLevel(4, true);
        Assert.True(rig[0].HasPendingInterrupt);
        Assert.True(w.IsRaised);
    }

    [Fact]
    public void AnEoiThatUncoversAWaitingVectorRaisesTheWord()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        SendIpi(apic, 0x61 | (1u << 18)); // self
        Assert.Equal(0x61, apic.AcknowledgeInterrupt());
        SendIpi(apic, 0x62 | (1u << 18)); // held back: same class as the one in service
        Assert.False(apic.HasPendingInterrupt);
        var w = Attached(apic);
        Write(apic, Eoi, 0);
        Assert.True(apic.HasPendingInterrupt);
        Assert.True(w.IsRaised);
    }

    [Fact]
    public void LoweringTheTaskPriorityRaisesTheWord()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, Tpr, 0x50);
        SendIpi(apic, 0x45 | (1u << 18));
        Assert.False(apic.HasPendingInterrupt);
        var w = Attached(apic);
        Write(apic, Tpr, 0x20); // through MMIO, not CR8
        Assert.True(w.IsRaised);
    }

    [Fact]
    public void UnmaskingLint0WithThePicAssertedRaisesTheWord()
    {
        var pic = new FakePic { Vector = 0x20 };
        var rig = new ApicRig(2, pic).Enabled();
        var w = Attached(rig[1]); // an AP: LINT0 masked at reset
        Assert.False(rig[1].HasPendingInterrupt);
        Write(rig[1], LvtLint0, 7u << 8); // ExtINT, unmasked
        Assert.True(rig[1].HasPendingInterrupt);
        Assert.True(w.IsRaised);
    }

    [Fact]
    public void ThePicRaisesItsOwnWordOnARisingOutput()
    {
        var pic = new DualPic(() => { });
        foreach (var (cmd, data, vbase, cascade) in new[] { ((ushort)0x20, (ushort)0x21, (byte)0x20, (byte)4), ((ushort)0xa0, (ushort)0xa1, (byte)0x28, (byte)2) })
        {
            pic.Write(cmd, 0x11);
            pic.Write(data, vbase);
            pic.Write(data, cascade);
            pic.Write(data, 0x01);
        }
        pic.Write(0x21, 0);
        var w = new InterruptAttention();
        pic.AttachAttention(w);
        w.TryClear();
        pic.SetIrq(3, true);
        Assert.True(w.IsRaised);
        Assert.Equal(0x23, pic.AcknowledgeInterrupt());
        w.TryClear();
        pic.SetIrq(4, true); // held back by IRQ 3 in service...
        Assert.False(pic.HasPendingInterrupt);
        pic.Write(0x20, 0x20); // ...until its EOI
        Assert.True(pic.HasPendingInterrupt);
        Assert.True(w.IsRaised);
    }
}
