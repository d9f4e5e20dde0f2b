using Xenon.Machine.Soft.Platform;

namespace Xenon.Machine.Tests.Soft;

/// <summary>The 8259 pair: initialisation, priority, EOI forms, masking, cascade, ELCR level inputs, poll mode, and
/// arbitrary guest writes.</summary>
public sealed class DualPicTests
{
    private int _raised;

    private DualPic NewPic(byte masterBase = 0x20, byte slaveBase = 0x28, bool autoEoi = false)
    {
        var pic = new DualPic(() => _raised++);
        foreach (var (cmd, data, vbase, cascade) in new[] { ((ushort)0x20, (ushort)0x21, masterBase, (byte)4), ((ushort)0xa0, (ushort)0xa1, slaveBase, (byte)2) })
        {
            pic.Write(cmd, 0x11);
            pic.Write(data, vbase);
            pic.Write(data, cascade);
            pic.Write(data, autoEoi ? (byte)0x03 : (byte)0x01);
        }
        pic.Write(0x21, 0x00);
        pic.Write(0xa1, 0x00);
        return pic;
    }

    [Fact]
    public void AnEdgeOnIrq0RaisesTheOutputAndIsAcknowledgedWithItsVector()
    {
        var pic = NewPic();
        Assert.False(pic.HasPendingInterrupt);
        pic.SetIrq(0, true);
        Assert.True(pic.HasPendingInterrupt);
        Assert.Equal(1, _raised);
        Assert.Equal(0x20, pic.AcknowledgeInterrupt());
        Assert.False(pic.HasPendingInterrupt);
        Assert.Equal(0x01, pic.Master.Isr);
        pic.Write(0x20, 0x20); // non-specific EOI
        Assert.Equal(0, pic.Master.Isr);
    }

    [Fact]
    public void AHeldEdgeLineDoesNotRequestAgainUntilItFalls()
    {
        var pic = NewPic();
        pic.SetIrq(3, true);
        Assert.Equal(0x23, pic.AcknowledgeInterrupt());
        pic.Write(0x20, 0x20);
        pic.SetIrq(3, true);
        Assert.False(pic.HasPendingInterrupt);
        pic.SetIrq(3, false);
        pic.SetIrq(3, true);
        Assert.True(pic.HasPendingInterrupt);
    }

    [Fact]
    public void HigherPriorityPreemptsAndLowerWaitsForEoi()
    {
        var pic = NewPic();
        pic.SetIrq(4, true);
        Assert.Equal(0x24, pic.AcknowledgeInterrupt());
        pic.SetIrq(5, true);
        Assert.False(pic.HasPendingInterrupt); // IRQ 5 is below IRQ 4 in service
        pic.SetIrq(1, true);
        Assert.True(pic.HasPendingInterrupt);
        Assert.Equal(0x21, pic.AcknowledgeInterrupt());
        pic.Write(0x20, 0x20); // ends IRQ 1 (the highest in service)
        Assert.Equal(0x10, pic.Master.Isr);
        pic.Write(0x20, 0x60 | 4); // specific EOI for IRQ 4
        Assert.Equal(0x25, pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void MaskedInputsWaitInIrrUntilUnmasked()
    {
        var pic = NewPic();
        pic.Write(0x21, 0xff);
        pic.SetIrq(6, true);
        Assert.False(pic.HasPendingInterrupt);
        Assert.Equal(0x40u, pic.Read(0x20)); // IRR by default
        Assert.Equal(0xffu, pic.Read(0x21));
        pic.Write(0x21, 0xbf);
        Assert.True(pic.HasPendingInterrupt);
        Assert.Equal(0x26, pic.AcknowledgeInterrupt());
        pic.Write(0x20, 0x0b); // OCW3: read ISR
        Assert.Equal(0x40u, pic.Read(0x20));
    }

    [Fact]
    public void SlaveInterruptsCascadeThroughIrq2()
    {
        var pic = NewPic();
        pic.SetIrq(12, true);
        Assert.True(pic.HasPendingInterrupt);
        Assert.Equal(0x2c, pic.AcknowledgeInterrupt());
        Assert.Equal(0x10, pic.Slave.Isr);
        Assert.Equal(0x04, pic.Master.Isr);
        pic.Write(0xa0, 0x20);
        pic.Write(0x20, 0x20);
        Assert.Equal(0, pic.Slave.Isr | pic.Master.Isr);
    }

    [Fact]
    public void AcknowledgeWithNothingPendingIsSpuriousIrq7()
    {
        var pic = NewPic();
        Assert.Equal(0x27, pic.AcknowledgeInterrupt());
        Assert.Equal(0, pic.Master.Isr);
    }

    [Fact]
    public void LevelTriggeredInputsFollowTheLineThroughTheElcr()
    {
        var pic = NewPic();
        pic.Write(0x4d1, 0xff); // slave: all level, except the read-only edge bits (IRQ 8 and 13)
        Assert.Equal(0xdeu, pic.Read(0x4d1));
        pic.SetIrq(9, true);
        Assert.Equal(0x29, pic.AcknowledgeInterrupt());
        pic.Write(0xa0, 0x20);
        pic.Write(0x20, 0x20);
        Assert.True(pic.HasPendingInterrupt); // still high: asks again
        pic.SetIrq(9, false);
        Assert.False(pic.HasPendingInterrupt);
    }

    [Fact]
    public void AutoEoiLeavesNothingInService()
    {
        var pic = NewPic(autoEoi: true);
        pic.SetIrq(0, true);
        Assert.Equal(0x20, pic.AcknowledgeInterrupt());
        Assert.Equal(0, pic.Master.Isr);
    }

    [Fact]
    public void PollModeReadIsTheAcknowledge()
    {
        var pic = NewPic();
        pic.SetIrq(5, true);
        pic.Write(0x20, 0x0c); // OCW3 poll
        Assert.Equal(0x85u, pic.Read(0x20));
        Assert.Equal(0x20, pic.Master.Isr);
        pic.Write(0x20, 0x0c);
        Assert.Equal(0u, pic.Read(0x20));
    }

    [Fact]
    public void RotationChangesPriority()
    {
        var pic = NewPic();
        pic.Write(0x20, 0xc0 | 3); // set priority: IRQ 4 is now the highest
        pic.SetIrq(2 - 2, true);
        pic.SetIrq(4, true);
        Assert.Equal(0x24, pic.AcknowledgeInterrupt());
    }

    [Fact]
    public void ArbitraryGuestWritesNeverThrow()
    {
        var pic = new DualPic(() => { });
        var rng = new Random(6);
        ushort[] ports = [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1];
        for (int i = 0; i < 100_000; i++)
        {
            ushort port = ports[rng.Next(ports.Length)];
            if (rng.Next(3) == 0) pic.Read(port);
            else pic.Write(port, (byte)rng.Next(256));
            if (rng.Next(4) == 0) pic.SetIrq(rng.Next(16), rng.Next(2) == 0);
            if (pic.HasPendingInterrupt) Assert.InRange(pic.AcknowledgeInterrupt(), 0, 255);
        }
    }
}
