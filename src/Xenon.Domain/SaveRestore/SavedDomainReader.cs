using System.Diagnostics;
using System.Text;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// xl restore, eagerly: opens a saved domain file and reads its header and configuration (<see cref="Open"/>), so
/// that the caller can build the domain; then <see cref="RestoreInto"/> reads the rest in one pass: memory straight
/// into the guest, the vCPU, platform and device records kept until the End record and the end of the file have
/// been checked. Only then does anything run, so a corrupt or truncated file never starts a half-restored guest.
/// Every error names the file, and for a malformed stream the offset and record.
/// </summary>
public sealed class SavedDomainReader : IDisposable
{
    private readonly string _path;
    private readonly SaveStreamReader _reader;

    private SavedDomainReader(string path, SaveStreamReader reader, SaveHeader header, string configJson)
    {
        _path = path;
        _reader = reader;
        Header = header;
        ConfigJson = configJson;
    }

    public SaveHeader Header { get; }

    /// <summary>The saved domain's configuration (a <see cref="DomainSpec"/> as JSON).</summary>
    public string ConfigJson { get; }

    public static SavedDomainReader Open(string path)
    {
        Stream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DomainRestoreException($"cannot open {path}: {e.Message}", e);
        }
        var reader = new SaveStreamReader(stream, ownsStream: true);
        try
        {
            var header = reader.ReadHeader();
            if (!reader.TryReadRecord(out var first) || first.Type != SaveRecordType.DomainConfig)
                throw new DomainRestoreException($"{path}: the first record is not the domain configuration");
            string json = Encoding.UTF8.GetString(first.DomainConfigJson);
            return new SavedDomainReader(path, reader, header, json);
        }
        catch (Exception e)
        {
            reader.Dispose();
            throw Wrap(path, e);
        }
    }

    /// <summary>Fills <paramref name="target"/> from the rest of the file and starts it (parked if <paramref name="paused"/>).
    /// On failure the target is in no useful state: the caller discards it.</summary>
    public RestoreResult RestoreInto(IRestoreTarget target, bool paused)
    {
        ArgumentNullException.ThrowIfNull(target);
        var clock = Stopwatch.StartNew();
        try
        {
            var vcpus = new VcpuState?[target.VcpuCount];
            PlatformState? platform = null;
            var devices = new List<(string Id, byte[] State, long Offset)>();
            bool regionsChecked = false;
            while (_reader.TryReadRecord(out var record))
            {
                switch (record.Type)
                {
                    case SaveRecordType.MemoryRegionMap:
                        CheckRegions(record, target);
                        regionsChecked = true;
                        break;
                    case SaveRecordType.MemoryPages:
                        // The writer puts the map first; the reader has checked that order.
                        if (!regionsChecked) throw RecordError(record, 0, "region map", "memory pages before the region map");
                        record.MemoryPages.ApplyTo(target.Memory, memoryIsZero: true);
                        break;
                    case SaveRecordType.VcpuState:
                        int index = record.VcpuIndex;
                        if (index >= vcpus.Length)
                            throw RecordError(record, 0, "vCPU index", $"vCPU {index}, but the domain has {vcpus.Length}");
                        try
                        {
                            vcpus[index] = VcpuStateCodec.Decode(record.VcpuState);
                        }
                        catch (StateFormatException e)
                        {
                            throw StateError(record, 8, e);
                        }
                        break;
                    case SaveRecordType.PlatformState:
                        try
                        {
                            platform = PlatformStateCodec.Decode(record.PlatformState);
                        }
                        catch (StateFormatException e)
                        {
                            throw StateError(record, 0, e);
                        }
                        break;
                    case SaveRecordType.DeviceState:
                        devices.Add((record.DeviceId, record.DeviceState.ToArray(), record.Offset));
                        break;
                }
            }
            _reader.ExpectEndOfStream();
            var totals = _reader.Totals;
            for (int i = 0; i < vcpus.Length; i++)
                if (vcpus[i] is null) throw new DomainRestoreException($"{_path}: no state for vCPU {i}");
            if (platform is null) throw new DomainRestoreException($"{_path}: no platform state");

            target.StartFromState(new MachineState(vcpus!, platform));
            var restore = target.DeviceStates.BeginRestore();
            foreach (var (id, state, offset) in devices)
            {
                try
                {
                    restore.Apply(id, state);
                }
                catch (DeviceStateException e)
                {
                    throw new DomainRestoreException($"{_path}: device state record at offset {offset} (0x{offset:x}): {e.Message}", e);
                }
            }
            restore.Complete();
            if (!paused) target.ResumeVcpus();
            return new RestoreResult(totals.DataPages, totals.ZeroPages, devices.Count, clock.Elapsed);
        }
        catch (Exception e)
        {
            throw Wrap(_path, e);
        }
    }

    private static SaveFormatException StateError(SaveRecord record, int payloadStart, StateFormatException e) =>
        new(record.Offset + SaveFormat.RecordHeaderSize + payloadStart, record.Index, record.Type, "state", e.Message, e);

    private static void CheckRegions(SaveRecord record, IRestoreTarget target)
    {
        var saved = record.Regions;
        var here = target.Memory.Regions;
        bool same = saved.Count == here.Count;
        for (int i = 0; same && i < saved.Count; i++)
            same = saved[i].Gpa == here[i].GuestAddress && saved[i].Size == here[i].Size;
        if (!same)
            throw RecordError(record, 0, "regions",
                $"the saved memory map ({Describe(saved)}) differs from the one its configuration builds ({string.Join(", ", here.Select(r => $"0x{r.GuestAddress:x}+0x{r.Size:x}"))})");
    }

    private static string Describe(IReadOnlyList<MemoryRegionEntry> regions) => string.Join(", ", regions.Select(r => $"0x{r.Gpa:x}+0x{r.Size:x}"));

    private static SaveFormatException RecordError(SaveRecord record, int payloadOffset, string field, string reason) =>
        new(record.Offset + SaveFormat.RecordHeaderSize + payloadOffset, record.Index, record.Type, field, reason);

    private static Exception Wrap(string path, Exception e) => e switch
    {
        DomainRestoreException => e,
        SaveFormatException or DeviceStateException or IOException => new DomainRestoreException($"{path}: {e.Message}", e),
        _ => new DomainRestoreException($"cannot restore {path}: {e.Message}", e),
    };

    public void Dispose() => _reader.Dispose();
}
