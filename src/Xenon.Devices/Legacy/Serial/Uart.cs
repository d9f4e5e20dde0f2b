namespace Xenon.Devices.Legacy.Serial;

/// <summary>16550 register offsets and bits (National Semiconductor PC16550D datasheet).</summary>
internal static class Uart
{
    // Register offsets from the base port.
    public const int RbrThrDll = 0;
    public const int IerDlm = 1;
    public const int IirFcr = 2;
    public const int Lcr = 3;
    public const int Mcr = 4;
    public const int Lsr = 5;
    public const int Msr = 6;
    public const int Scr = 7;

    // IER
    public const byte IerRxData = 0x01;
    public const byte IerThrEmpty = 0x02;
    public const byte IerLineStatus = 0x04;
    public const byte IerModemStatus = 0x08;
    public const byte IerMask = 0x0f;

    // IIR: bit 0 clear means an interrupt is pending; bits 6-7 report FIFOs enabled.
    public const byte IirNoInterrupt = 0x01;
    public const byte IirModemStatus = 0x00;
    public const byte IirThrEmpty = 0x02;
    public const byte IirRxData = 0x04;
    public const byte IirLineStatus = 0x06;
    public const byte IirFifoEnabled = 0xc0;

    // FCR
    public const byte FcrEnable = 0x01;
    public const byte FcrClearRx = 0x02;
    public const byte FcrClearTx = 0x04;
    public const byte FcrStoredMask = 0xc9; // enable, DMA mode, trigger level

    // LCR
    public const byte LcrDlab = 0x80;

    // MCR
    public const byte McrDtr = 0x01;
    public const byte McrRts = 0x02;
    public const byte McrOut1 = 0x04;
    public const byte McrOut2 = 0x08;
    public const byte McrLoop = 0x10;
    public const byte McrMask = 0x1f;

    // LSR
    public const byte LsrDataReady = 0x01;
    public const byte LsrOverrun = 0x02;
    public const byte LsrParity = 0x04;
    public const byte LsrFraming = 0x08;
    public const byte LsrBreak = 0x10;
    public const byte LsrThrEmpty = 0x20;
    public const byte LsrTxEmpty = 0x40;
    public const byte LsrFifoError = 0x80;
    public const byte LsrErrorBits = LsrOverrun | LsrParity | LsrFraming | LsrBreak;

    // MSR: high nibble is line state, low nibble the deltas since MSR was last read.
    public const byte MsrDeltaCts = 0x01;
    public const byte MsrDeltaDsr = 0x02;
    public const byte MsrTrailingRi = 0x04;
    public const byte MsrDeltaDcd = 0x08;
    public const byte MsrDeltaMask = 0x0f;
    public const byte MsrCts = 0x10;
    public const byte MsrDsr = 0x20;
    public const byte MsrRi = 0x40;
    public const byte MsrDcd = 0x80;

    /// <summary>The bytes the guest sees as the hardware receive FIFO.</summary>
    public const int HardwareFifoSize = 16;

    /// <summary>Host-side buffering behind the hardware FIFO, so console input survives a guest that reads slowly.</summary>
    public const int ReceiveBufferSize = 4096;
}
