using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Block;

// Save, restore and quiescing. Requests are synchronous: once Quiesce returns no request is half done, so the
// state is the disk identity and the driver session; the queue itself is the transport's to save.
public sealed partial class VirtioBlock
{
    private bool _quiesced;
    private VirtioBlockState? _restored;

    public VirtioBlockState GetState()
    {
        lock (_gate) return new VirtioBlockState(Config.CapacitySectors, _backend.IsReadOnly, (byte[])_id.Clone(), _queues is not null, _needsReset);
    }

    /// <summary>
    /// Takes a saved state. The disk must be the one it was saved with (same size, access and serial); the driver
    /// session (needs-reset) takes effect when the transport activates the device with its restored queue.
    /// </summary>
    /// <exception cref="ArgumentException">The state belongs to another disk or is inconsistent.</exception>
    public void SetState(VirtioBlockState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ulong capacity = Config.CapacitySectors;
        if (state.CapacitySectors != capacity)
            throw new ArgumentException(
                $"field 'capacity': the state was saved with a disk of {state.CapacitySectors} sectors ({state.CapacitySectors * BlockRequestLayout.SectorSize} bytes), " +
                $"this disk has {capacity} sectors ({capacity * BlockRequestLayout.SectorSize} bytes): the image changed size since the save", nameof(state));
        if (state.ReadOnly != _backend.IsReadOnly)
            throw new ArgumentException($"field 'read-only': the state was saved with a {Access(state.ReadOnly)} disk, this one is {Access(_backend.IsReadOnly)}", nameof(state));
        if (state.Serial is null || !state.Serial.AsSpan().SequenceEqual(_id))
            throw new ArgumentException($"field 'serial': the state was saved for disk '{Printable(state.Serial)}', this is '{Printable(_id)}'", nameof(state));
        if (state.NeedsReset && !state.Active)
            throw new ArgumentException("field 'needs reset': set on a device the driver had not started", nameof(state));
        lock (_gate) _restored = state.Active ? state : null;
    }

    /// <summary>The device's state as kind "virtio-blk" (<see cref="VirtioBlockStateCodec"/>). Call while quiesced.</summary>
    public int SaveState(IBufferWriter<byte> output) => VirtioBlockStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(VirtioBlockStateCodec.Kind, VirtioBlockStateCodec.Read(state), SetState);

    /// <summary>Waits for the request in progress (the loop stops before the next one) and holds kicks until <see cref="Resume"/>.</summary>
    public void Quiesce()
    {
        Volatile.Write(ref _quiesced, true);
        lock (_gate)
        {
        }
    }

    /// <summary>Serves the queue once (kicks held while quiesced) on the calling thread, and lets kicks through again.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (!_quiesced) return;
            Volatile.Write(ref _quiesced, false);
            if (_queues is not null) ServeQueue(0);
        }
    }

    private static string Access(bool readOnly) => readOnly ? "read-only" : "writable";

    private static string Printable(byte[]? serial)
    {
        if (serial is null) return "";
        var chars = new char[serial.Length];
        int n = 0;
        foreach (byte b in serial)
        {
            if (b == 0) break;
            chars[n++] = b is >= 0x20 and < 0x7f ? (char)b : '?';
        }
        return new string(chars, 0, n);
    }
}
