namespace Xenon.Domain.Save;

/// <summary>
/// A save stream is malformed or does not fit the domain it is restored into. The message names the stream offset,
/// the record (index and type, or the header) and the field; the properties carry the same for programs.
/// </summary>
public sealed class SaveFormatException : Exception
{
    public SaveFormatException(long offset, long recordIndex, SaveRecordType? recordType, string field, string reason, Exception? inner = null)
        : base(Compose(offset, recordIndex, recordType, field, reason), inner)
    {
        Offset = offset;
        RecordIndex = recordIndex;
        RecordType = recordType;
        Field = field;
        Reason = reason;
    }

    /// <summary>Byte offset in the stream (from its first byte) of the field at fault.</summary>
    public long Offset { get; }

    /// <summary>0-based index of the record, or -1 for the header.</summary>
    public long RecordIndex { get; }

    /// <summary>The record's type as its header gave it (null for the header, or when unknown).</summary>
    public SaveRecordType? RecordType { get; }

    public string Field { get; }

    public string Reason { get; }

    private static string Compose(long offset, long recordIndex, SaveRecordType? type, string field, string reason)
    {
        string where = recordIndex < 0 ? "header" : $"record #{recordIndex}{(type is { } t ? " " + Name(t) : "")}";
        return $"save stream at offset {offset} (0x{offset:x}), {where}, field '{field}': {reason}";
    }

    internal static string Name(SaveRecordType type) =>
        Enum.IsDefined(type) ? type.ToString() : $"type 0x{(uint)type:x8}";
}
