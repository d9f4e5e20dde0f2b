namespace Xenon.Devices.Legacy.Acpi;

/// <summary>
/// The byte layout ACPI gives PM1 event blocks and GPE blocks alike: a 16-bit status register (bytes 0–1, write one
/// to clear) followed by a 16-bit enable register (bytes 2–3). The caller holds its own lock and updates the SCI after.
/// </summary>
internal static class EventRegisterPair
{
    public static void Read(ushort status, ushort enable, int offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (offset + i) switch
            {
                0 => (byte)status,
                1 => (byte)(status >> 8),
                2 => (byte)enable,
                3 => (byte)(enable >> 8),
                _ => 0xff,
            };
        }
    }

    /// <summary>Clears the status bits written as one and sets the enable bytes, keeping only <paramref name="enableMask"/>.</summary>
    public static void Write(ref ushort status, ref ushort enable, ushort enableMask, int offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            byte value = data[i];
            switch (offset + i)
            {
                case 0: status &= (ushort)~value; break;
                case 1: status &= (ushort)~(value << 8); break;
                case 2: enable = (ushort)(((enable & 0xff00) | value) & enableMask); break;
                case 3: enable = (ushort)(((enable & 0x00ff) | (value << 8)) & enableMask); break;
            }
        }
    }
}
