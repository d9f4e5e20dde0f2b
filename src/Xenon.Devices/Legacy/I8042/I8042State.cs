namespace Xenon.Devices.Legacy.I8042;

/// <summary>The keyboard controller's saved form. <see cref="Ram"/> is its 32-byte internal RAM; byte 0 is the command byte.</summary>
public sealed record I8042State(
    byte[] Ram,
    byte OutputPort,
    byte PendingCommand,
    byte OutputBuffer,
    bool OutputBufferFull,
    bool OutputFromAux,
    bool SystemFlag,
    bool LastWriteWasCommand);
