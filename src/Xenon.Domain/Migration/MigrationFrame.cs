namespace Xenon.Domain.Migration;

/// <summary>One handshake message: its type and its payload (at most <see cref="MigrationFraming.MaxPayload"/> bytes).</summary>
public readonly record struct MigrationFrame(MigrationFrameType Type, byte[] Payload)
{
    /// <summary>The payload as UTF-8 text (Error's reason, Running's report), invalid bytes replaced.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Payload);
}
