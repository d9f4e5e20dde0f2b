using Xenon.Devices.State;

namespace Xenon.Devices.Pci.Msi;

/// <summary>
/// The fields of an <see cref="MsiXState"/> inside a function's state blob: vector count (u16, 1–2048), the table
/// (four u32 per vector: address low, address high, data, vector control), the pending bits (u64 per 64 vectors).
/// </summary>
public static class MsiXStateCodec
{
    public static void Write(ref StateWriter w, MsiXState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int vectors = state.Table.Length / 4;
        if (vectors is < 1 or > MsiXCapability.MaxVectors || state.Table.Length != vectors * 4 || state.Pending.Length != (vectors + 63) / 64)
            throw new ArgumentException("MSI-X state does not describe a table of 1–2048 vectors", nameof(state));
        w.U16((ushort)vectors);
        foreach (uint dword in state.Table) w.U32(dword);
        foreach (ulong bits in state.Pending) w.U64(bits);
    }

    public static MsiXState Read(ref StateReader r)
    {
        int vectors = r.U16("msi-x vector count");
        if (vectors is < 1 or > MsiXCapability.MaxVectors) throw r.Invalid("msi-x vector count", $"{vectors} is outside 1–{MsiXCapability.MaxVectors}");
        var table = new uint[vectors * 4];
        for (int i = 0; i < table.Length; i++) table[i] = r.U32("msi-x table");
        var pending = new ulong[(vectors + 63) / 64];
        for (int i = 0; i < pending.Length; i++) pending[i] = r.U64("msi-x pending bits");
        return new MsiXState(table, pending);
    }
}
