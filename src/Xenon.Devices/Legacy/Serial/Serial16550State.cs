namespace Xenon.Devices.Legacy.Serial;

/// <summary>Everything a 16550 holds, for save/restore. <see cref="ReceiveBuffer"/> is oldest byte first.</summary>
public sealed record Serial16550State(
    byte Ier,
    byte Lcr,
    byte Mcr,
    byte Fcr,
    byte Scr,
    byte DivisorLow,
    byte DivisorHigh,
    byte LineStatusErrors,
    byte ModemStatusDeltas,
    bool ThrEmptyInterruptPending,
    byte LastReceived,
    byte[] ReceiveBuffer);
