using System.Text;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.Tests.Fakes;

namespace Xenon.Devices.Tests.Legacy;

public sealed class Serial16550Tests
{
    private const ushort Rbr = 0, Ier = 1, Iir = 2, Fcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;
    private const byte Out2 = 0x08, Loop = 0x10;

    private readonly FakeIrqLine _irq = new(4);
    private readonly CapturingSerialOutput _out = new();
    private readonly Serial16550 _uart;

    public Serial16550Tests() => _uart = new Serial16550(_irq, _out);

    private byte In(ushort reg)
    {
        Span<byte> b = stackalloc byte[1];
        _uart.Read(reg, b);
        return b[0];
    }

    private void Out(ushort reg, byte value) => _uart.Write(reg, [value]);

    [Fact]
    public void TransmitHoldingRegisterWritesReachTheOutputSink()
    {
        foreach (var c in "hello\n"u8.ToArray()) Out(Rbr, c);

        Assert.Equal("hello\n", _out.Text);
        Assert.Equal(0x60, In(Lsr) & 0x60); // THRE and TEMT: transmission is instantaneous
    }

    [Fact]
    public void ResetStateLooksLikeAnIdle16550WithAReadyPeer()
    {
        Assert.Equal(0x01, In(Iir));
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0xb0, In(Msr)); // DCD, DSR, CTS asserted so getty sees carrier
        Assert.Equal(0x00, In(Ier));
        Assert.False(_irq.Level, _irq.ToString());
    }

    [Fact]
    public void LoopbackRoutesTransmitToReceiveAndModemControlToModemStatus()
    {
        Out(Mcr, Loop);
        Out(Rbr, (byte)'A');

        Assert.Empty(_out.Bytes);
        Assert.Equal(0x01, In(Lsr) & 0x01);
        Assert.Equal((byte)'A', In(Rbr));
        Assert.Equal(0x00, In(Lsr) & 0x01);

        // Linux's autoconfig: MCR = LOOP|OUT2|RTS must read back as DCD|CTS in MSR's high nibble.
        Out(Mcr, Loop | Out2 | 0x02);
        Assert.Equal(0x90, In(Msr) & 0xf0);
        Out(Mcr, Loop | 0x01 | 0x04); // DTR, OUT1 -> DSR, RI
        Assert.Equal(0x60, In(Msr) & 0xf0);
    }

    [Fact]
    public void DivisorLatchIsBehindDlabAndDoesNotDisturbIerOrTransmit()
    {
        Out(Ier, 0x05);
        Out(Lcr, 0x83);
        Out(Rbr, 0x01);
        Out(Ier, 0x02);
        Assert.Equal(0x01, In(Rbr));
        Assert.Equal(0x02, In(Ier));
        Assert.Empty(_out.Bytes);

        Out(Lcr, 0x03);
        Assert.Equal(0x05, In(Ier));
        Assert.Equal(0x03, In(Lcr));
        var state = _uart.GetState();
        Assert.Equal((0x01, 0x02), (state.DivisorLow, state.DivisorHigh));
    }

    [Fact]
    public void ScratchRegisterHoldsAByte()
    {
        Out(Scr, 0x5a);
        Assert.Equal(0x5a, In(Scr));
    }

    [Fact]
    public void InterruptIdentificationFollowsDatasheetPriority()
    {
        Out(Mcr, Out2);
        Out(Fcr, 0x01);
        // Line status: overrun from more input than the buffer holds; RX data; THRE (newly enabled); modem status (MCR change in loopback).
        _uart.Enqueue(new byte[4096 + 1]);
        Out(Ier, 0x0f);
        Out(Mcr, Out2 | Loop | 0x02);

        Assert.True(_irq.Level, _irq.ToString());
        Assert.Equal(0xc6, In(Iir));
        Assert.Equal(0x02, In(Lsr) & 0x02);  // reading LSR clears OE
        Assert.Equal(0xc4, In(Iir));
        while ((In(Lsr) & 0x01) != 0) In(Rbr);
        Assert.Equal(0xc2, In(Iir));          // reporting THRE acknowledges it
        Assert.Equal(0xc0, In(Iir));          // modem status
        Assert.Equal(0x02, In(Msr) & 0x0f);   // DDSR: entering loopback without DTR dropped DSR; the read clears deltas
        Assert.Equal(0xc1, In(Iir));
        Assert.False(_irq.Level, _irq.ToString());
    }

    [Fact]
    public void ThrEmptyInterruptFollowsTheLinux8250Sequence()
    {
        Out(Mcr, Out2);

        // Start TX: enabling ETBEI with THR empty raises THRE.
        Out(Ier, 0x02);
        Assert.True(_irq.Level, _irq.ToString());
        Assert.Equal(0x02, In(Iir) & 0x0f);
        Assert.False(_irq.Level, "IIR read reporting THRE must clear it: " + _irq);
        Assert.Equal(0x01, In(Iir) & 0x0f);

        // Each transmitted byte leaves THR empty again: the interrupt comes back.
        Out(Rbr, (byte)'x');
        Assert.True(_irq.Level, _irq.ToString());
        Assert.Equal(0x02, In(Iir) & 0x0f);
        Assert.False(_irq.Level);

        // Linux's THRE test: IER off then on again re-raises THRE even though it was acknowledged.
        Out(Ier, 0x00);
        Out(Ier, 0x02);
        Assert.Equal(0x02, In(Iir) & 0x0f);

        // Stop TX: clearing ETBEI drops a pending THRE.
        Out(Rbr, (byte)'y');
        Assert.True(_irq.Level);
        Out(Ier, 0x00);
        Assert.False(_irq.Level, _irq.ToString());
        Assert.Equal(0x01, In(Iir) & 0x0f);
        Assert.Equal("xy", _out.Text);
    }

    [Fact]
    public void Out2GatesTheInterruptLine()
    {
        Out(Ier, 0x02);
        Assert.False(_irq.Level, "without OUT2 the line must stay low: " + _irq);
        Out(Mcr, Out2);
        Assert.True(_irq.Level, _irq.ToString());
        Out(Mcr, 0);
        Assert.False(_irq.Level, _irq.ToString());
    }

    [Fact]
    public void EnqueuedInputRaisesReceiveInterruptUntilDrained()
    {
        Out(Mcr, Out2);
        Out(Ier, 0x01);
        Assert.False(_irq.Level);

        Assert.Equal(2, _uart.Enqueue("ab"u8));
        Assert.True(_irq.Level, _irq.ToString());
        Assert.Equal(0x04, In(Iir) & 0x0f);
        Assert.Equal(0x01, In(Lsr) & 0x01);

        Assert.Equal((byte)'a', In(Rbr));
        Assert.True(_irq.Level);
        Assert.Equal((byte)'b', In(Rbr));
        Assert.False(_irq.Level, _irq.ToString());
        Assert.Equal(0x00, In(Lsr) & 0x01);
        Assert.Equal(0x01, In(Iir) & 0x0f);
    }

    [Fact]
    public void ReceiveInterruptIsNotRaisedWhenDisabled()
    {
        Out(Mcr, Out2);
        _uart.Enqueue("a"u8);
        Assert.False(_irq.Level);
        Out(Ier, 0x01);
        Assert.True(_irq.Level, "enabling ERBFI with data waiting must raise the line: " + _irq);
    }

    [Fact]
    public void InputBeyondTheBufferIsDroppedAsOverrunOnce()
    {
        var data = new byte[4096 + 10];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;

        Assert.Equal(4096, _uart.Enqueue(data));
        Assert.Equal(10, _uart.DroppedBytes);
        Assert.Equal(0, _uart.ReceiveSpace);
        Assert.False(_uart.CanAccept);

        Assert.Equal(0x03, In(Lsr) & 0x03);
        Assert.Equal(0x01, In(Lsr) & 0x03); // OE cleared by the previous read
        for (int i = 0; i < 4096; i++)
            Assert.Equal((byte)i, In(Rbr));
        Assert.Equal(0x00, In(Lsr) & 0x01);
    }

    [Fact]
    public void FcrClearReceiveDiscardsTheHardwareFifo()
    {
        Out(Fcr, 0x01);
        _uart.Enqueue("abc"u8);
        Out(Fcr, 0x03);
        Assert.Equal(0x00, In(Lsr) & 0x01);
        Assert.Equal(0xc1, In(Iir)); // FIFOs still enabled
    }

    [Fact]
    public void DisablingTheFifoClearsIt()
    {
        Out(Fcr, 0x01);
        _uart.Enqueue("abc"u8);
        Out(Fcr, 0x00);
        Assert.Equal(0x00, In(Lsr) & 0x01);
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void DrainingAFullBufferSignalsTheInputSide()
    {
        int signalled = 0;
        _uart.ReceiveSpaceAvailable += () => Interlocked.Increment(ref signalled);
        _uart.Enqueue(new byte[4096]);

        for (int i = 0; i < 2047; i++) In(Rbr);
        Assert.Equal(0, signalled);
        In(Rbr);
        Assert.Equal(1, signalled);
        In(Rbr);
        Assert.Equal(1, signalled);
    }

    [Fact]
    public void ConcurrentInputAndGuestReadsLoseAndReorderNothing()
    {
        const int total = 200_000;
        Out(Mcr, Out2);
        Out(Ier, 0x01);
        var producer = new Thread(() =>
        {
            var chunk = new byte[37];
            int sent = 0;
            while (sent < total)
            {
                int n = Math.Min(chunk.Length, total - sent);
                for (int i = 0; i < n; i++) chunk[i] = (byte)(sent + i);
                int taken = _uart.Enqueue(chunk.AsSpan(0, Math.Min(n, _uart.ReceiveSpace)));
                sent += taken;
                if (taken == 0) Thread.Yield();
            }
        });
        producer.Start();

        int received = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received < total && DateTime.UtcNow < deadline)
        {
            if ((In(Lsr) & 0x01) == 0) continue;
            byte b = In(Rbr);
            Assert.True((byte)received == b, $"byte {received}: expected 0x{(byte)received:x2}, got 0x{b:x2}");
            received++;
        }
        producer.Join();
        Assert.Equal(total, received);
        Assert.Equal(0, _uart.DroppedBytes);
        Assert.False(_irq.Level, _irq.ToString());
    }

    [Fact]
    public void StateRoundTripsIntoAFreshUart()
    {
        Out(Lcr, 0x80); Out(Rbr, 0x0c); Out(Ier, 0x00); Out(Lcr, 0x03);
        Out(Fcr, 0xc1); Out(Mcr, Out2 | 0x03); Out(Ier, 0x03); Out(Scr, 0x42);
        _uart.Enqueue("xyz"u8);
        In(Rbr);

        var state = _uart.GetState();
        var irq2 = new FakeIrqLine(4);
        var copy = new Serial16550(irq2, new CapturingSerialOutput());
        copy.SetState(state);

        Assert.Equal(state with { ReceiveBuffer = [] }, copy.GetState() with { ReceiveBuffer = [] });
        Assert.Equal("yz"u8.ToArray(), copy.GetState().ReceiveBuffer);
        Assert.True(irq2.Level, "restored pending RX interrupt must drive the line: " + irq2);
    }

    [Fact]
    public void OversizedSavedReceiveBufferIsRejected()
    {
        var state = _uart.GetState() with { ReceiveBuffer = new byte[5000] };
        var ex = Assert.Throws<ArgumentException>(() => _uart.SetState(state));
        Assert.Contains("5000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WideAccessesAreSplitIntoConsecutiveRegisters()
    {
        _uart.Write(Scr, [0x11, 0x22, 0x33, 0x44]); // SCR, then beyond the device: ignored
        Assert.Equal(0x11, In(Scr));

        _uart.Enqueue("q"u8);
        Out(Ier, 0x05);
        Span<byte> two = stackalloc byte[2];
        _uart.Read(Rbr, two);
        Assert.Equal(new byte[] { (byte)'q', 0x05 }, two.ToArray());
        Assert.Equal("", Encoding.ASCII.GetString(_out.Bytes));
    }
}
