using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci.Msi;

/// <summary>
/// MSI-X (PCI Local Bus 3.0 §6.8.2): the 12-byte capability in configuration space, the vector
/// table and the pending bit array (PBA). The table and PBA live inside one of the function's
/// memory BARs; the device model routes that part of its BAR to <see cref="Table"/> and <see cref="Pba"/>.
/// A vector fired while masked (by its own mask bit or the function mask) sets its pending bit and is
/// sent when unmasked.
/// </summary>
/// <remarks>Thread-safe: the table is written on vCPU threads while device threads fire vectors.
/// The sink is called outside the lock.</remarks>
public sealed class MsiXCapability : IPciConfigObserver
{
    public const int CapabilityLength = 12;
    public const int EntrySize = 16;
    public const int MaxVectors = 2048;

    private const ushort EnableBit = 0x8000;
    private const ushort FunctionMaskBit = 0x4000;
    private const uint VectorMaskBit = 0x1;
    private const int DwordsPerEntry = 4;
    private const int AddressLowDword = 0;
    private const int AddressHighDword = 1;
    private const int DataDword = 2;
    private const int ControlDword = 3;

    private readonly object _lock = new();
    private readonly PciConfigSpace _config;
    private readonly IMsiSink _sink;
    private readonly uint[] _table;
    private readonly ulong[] _pending;
    private ushort _control;

    /// <param name="tableOffset">Offset of the table inside BAR <paramref name="tableBar"/>; 8-byte aligned.</param>
    /// <param name="pbaOffset">Offset of the PBA inside BAR <paramref name="pbaBar"/>; 8-byte aligned.</param>
    public MsiXCapability(PciConfigSpace config, int vectorCount, int tableBar, uint tableOffset, int pbaBar, uint pbaOffset, IMsiSink sink)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sink);
        if (vectorCount < 1 || vectorCount > MaxVectors)
            throw new ArgumentOutOfRangeException(nameof(vectorCount), vectorCount, "MSI-X has 1–2048 vectors");
        CheckLocation(tableBar, tableOffset, nameof(tableOffset));
        CheckLocation(pbaBar, pbaOffset, nameof(pbaOffset));
        _config = config;
        _sink = sink;
        VectorCount = vectorCount;
        _table = new uint[vectorCount * DwordsPerEntry];
        _pending = new ulong[(vectorCount + 63) / 64];

        CapabilityOffset = config.AddCapability(PciCapabilityId.MsiX, CapabilityLength);
        config.SetInitial(CapabilityOffset + 2, (uint)(vectorCount - 1), 2);
        config.SetWriteMask(CapabilityOffset + 2, EnableBit | FunctionMaskBit, 2);
        config.SetInitial(CapabilityOffset + 4, tableOffset | (uint)tableBar, 4);
        config.SetInitial(CapabilityOffset + 8, pbaOffset | (uint)pbaBar, 4);
        config.AddObserver(CapabilityOffset + 2, 2, this);
        Table = new TableRegion(this);
        Pba = new PbaRegion(this);
        ResetVectors();
    }

    public int CapabilityOffset { get; }

    public int VectorCount { get; }

    /// <summary>Bytes the table occupies in its BAR.</summary>
    public int TableSize => VectorCount * EntrySize;

    /// <summary>Bytes the PBA occupies in its BAR (whole qwords).</summary>
    public int PbaSize => _pending.Length * sizeof(ulong);

    /// <summary>The table as MMIO, offsets relative to the table's start.</summary>
    public IMmioDevice Table { get; }

    /// <summary>The PBA as MMIO (read-only), offsets relative to its start.</summary>
    public IMmioDevice Pba { get; }

    public bool Enabled
    {
        get { lock (_lock) return (_control & EnableBit) != 0; }
    }

    public bool FunctionMasked
    {
        get { lock (_lock) return (_control & FunctionMaskBit) != 0; }
    }

    public bool IsMasked(int vector)
    {
        if ((uint)vector >= (uint)VectorCount) return true;
        lock (_lock) return (_table[vector * DwordsPerEntry + ControlDword] & VectorMaskBit) != 0;
    }

    public bool IsPending(int vector)
    {
        if ((uint)vector >= (uint)VectorCount) return false;
        lock (_lock) return (_pending[vector >> 6] & (1UL << vector)) != 0;
    }

    /// <summary>
    /// The device raises <paramref name="vector"/>: sent now if MSI-X is enabled and the vector unmasked,
    /// else marked pending if enabled. Returns false when MSI-X is off or the vector does not exist,
    /// so the caller can fall back to INTx.
    /// </summary>
    public bool Trigger(int vector)
    {
        if ((uint)vector >= (uint)VectorCount) return false;
        ulong address;
        uint data;
        lock (_lock)
        {
            if ((_control & EnableBit) == 0) return false;
            if (!CanDeliver(vector))
            {
                _pending[vector >> 6] |= 1UL << vector;
                return true;
            }
            address = AddressOf(vector);
            data = _table[vector * DwordsPerEntry + DataDword];
        }
        _sink.SignalMsi(address, data);
        return true;
    }

    public void ConfigWritten(int offset, int length)
    {
        lock (_lock) _control = _config.ReadUInt16(CapabilityOffset + 2);
        DeliverPending(0, VectorCount - 1);
    }

    public void ConfigReset()
    {
        lock (_lock) _control = _config.ReadUInt16(CapabilityOffset + 2);
        ResetVectors();
    }

    public MsiXState GetState()
    {
        lock (_lock) return new MsiXState((uint[])_table.Clone(), (ulong[])_pending.Clone());
    }

    public void SetState(MsiXState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Table is null || state.Table.Length != _table.Length || state.Pending is null || state.Pending.Length != _pending.Length)
            throw new ArgumentException($"saved MSI-X state does not match a {VectorCount}-vector table", nameof(state));
        lock (_lock)
        {
            state.Table.CopyTo(_table, 0);
            for (int v = 0; v < VectorCount; v++) _table[v * DwordsPerEntry + ControlDword] &= VectorMaskBit;
            state.Pending.CopyTo(_pending, 0);
            // Bits past the last vector do not exist.
            if (VectorCount % 64 != 0) _pending[^1] &= (1UL << VectorCount) - 1;
        }
    }

    private void ResetVectors()
    {
        lock (_lock)
        {
            Array.Clear(_table);
            Array.Clear(_pending);
            // Every vector starts masked (§6.8.2.9).
            for (int v = 0; v < VectorCount; v++) _table[v * DwordsPerEntry + ControlDword] = VectorMaskBit;
        }
    }

    private bool CanDeliver(int vector) =>
        (_control & (EnableBit | FunctionMaskBit)) == EnableBit
        && (_table[vector * DwordsPerEntry + ControlDword] & VectorMaskBit) == 0;

    private ulong AddressOf(int vector) =>
        _table[vector * DwordsPerEntry + AddressLowDword] | ((ulong)_table[vector * DwordsPerEntry + AddressHighDword] << 32);

    /// <summary>Sends (and clears) pending vectors in [first, last] that are now deliverable.</summary>
    private void DeliverPending(int first, int last)
    {
        for (int v = first; v <= last; v++)
        {
            ulong address;
            uint data;
            lock (_lock)
            {
                if ((_pending[v >> 6] & (1UL << v)) == 0 || !CanDeliver(v)) continue;
                _pending[v >> 6] &= ~(1UL << v);
                address = AddressOf(v);
                data = _table[v * DwordsPerEntry + DataDword];
            }
            _sink.SignalMsi(address, data);
        }
    }

    private void ReadTable(ulong offset, Span<byte> data)
    {
        if (offset >= (ulong)TableSize) { data.Fill(0xff); return; }
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong o = offset + (ulong)i;
                data[i] = o < (ulong)TableSize ? (byte)(_table[o >> 2] >> (int)(8 * (o & 3))) : (byte)0xff;
            }
        }
    }

    private void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= (ulong)TableSize) return;
        int first = int.MaxValue, last = -1;
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong o = offset + (ulong)i;
                if (o >= (ulong)TableSize) continue;
                int dword = (int)(o >> 2);
                int shift = (int)(8 * (o & 3));
                uint value = (uint)data[i] << shift;
                uint mask = 0xffu << shift;
                // In vector control only the mask bit exists; the rest is reserved and reads zero.
                if (dword % DwordsPerEntry == ControlDword) mask &= VectorMaskBit;
                _table[dword] = (_table[dword] & ~mask) | (value & mask);
                int vector = dword / DwordsPerEntry;
                first = Math.Min(first, vector);
                last = Math.Max(last, vector);
            }
        }
        if (last >= 0) DeliverPending(first, last);
    }

    private void ReadPba(ulong offset, Span<byte> data)
    {
        if (offset >= (ulong)PbaSize) { data.Fill(0xff); return; }
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong o = offset + (ulong)i;
                data[i] = o < (ulong)PbaSize ? (byte)(_pending[o >> 3] >> (int)(8 * (o & 7))) : (byte)0xff;
            }
        }
    }

    private static void CheckLocation(int bar, uint offset, string name)
    {
        if ((uint)bar >= PciConfigSpace.BarCount) throw new ArgumentOutOfRangeException(name, bar, "BAR index is 0–5");
        // The low 3 bits of the offset register hold the BAR index.
        if ((offset & 7) != 0) throw new ArgumentOutOfRangeException(name, offset, "MSI-X table and PBA offsets are 8-byte aligned");
    }

    private sealed class TableRegion(MsiXCapability owner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data) => owner.ReadTable(offset, data);
        public void Write(ulong offset, ReadOnlySpan<byte> data) => owner.WriteTable(offset, data);
    }

    private sealed class PbaRegion(MsiXCapability owner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data) => owner.ReadPba(offset, data);

        // The PBA is read-only (§6.8.2.10); writes are ignored.
        public void Write(ulong offset, ReadOnlySpan<byte> data) { }
    }
}
