using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// Binary form of <see cref="VirtioBlockState"/>, kind "virtio-blk". Version 1: capacity in sectors (u64), read-only
/// (bool), serial (20 bytes), active, needs-reset (bool).
/// </summary>
public static class VirtioBlockStateCodec
{
    public const string Kind = "virtio-blk";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, VirtioBlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U64(state.CapacitySectors);
        w.Bool(state.ReadOnly);
        w.Fixed(state.Serial);
        w.Bool(state.Active);
        w.Bool(state.NeedsReset);
        return w.Written;
    }

    public static VirtioBlockState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = new VirtioBlockState(
            CapacitySectors: r.U64("capacity"),
            ReadOnly: r.Bool("read-only"),
            Serial: r.Fixed("serial", BlockRequestLayout.IdBytes).ToArray(),
            Active: r.Bool("active"),
            NeedsReset: r.Bool("needs reset"));
        r.End();
        return state;
    }
}
