using System.Buffers.Binary;

namespace Xenon.Devices.Virtio.Console;

/// <summary>struct virtio_console_config: le16 cols, le16 rows (F_SIZE), le32 max_nr_ports (F_MULTIPORT), le32 emerg_wr (F_EMERG_WRITE).</summary>
internal static class VirtioConsoleConfig
{
    public const int Size = 12;
    public const int ColsOffset = 0;
    public const int RowsOffset = 2;
    public const int MaxNrPortsOffset = 4;
    public const int EmergencyWriteOffset = 8;

    public static void Encode(Span<byte> destination, uint maxNrPorts)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MaxNrPortsOffset..], maxNrPorts);
    }
}
