using System.Diagnostics;
using System.Text;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// xl restore: opens a saved domain file and reads its header and configuration (<see cref="Open"/>), so that the
/// caller can build the domain; then <see cref="RestoreInto"/> reads the rest in one pass, keeping the vCPU, platform
/// and device records until the End record and the end of the file have been checked. Only then does anything run,
/// so a truncated file, or one whose records are corrupt, never starts a half-restored guest.
/// Memory: a version-2 file holds each region as a page-aligned image (MemoryImage), which is mapped privately from
/// the file over guest RAM (lazy: pages come in on first touch, so the restore does not grow with memory size) and
/// verified against its chunk CRCs by a background <see cref="MemoryImageVerifier"/> once the domain runs. A
/// version-1 file (MemoryPages) is read into guest memory as before. Every error names the file, and for a
/// malformed stream the offset and record.
/// </summary>
public sealed class SavedDomainReader : IDisposable
{
    private readonly string _path;
    private readonly FileStream _file;
    private readonly SaveStreamReader _reader;
    private readonly Stopwatch _sinceOpen;
    private bool _fileHandedOver;

    private SavedDomainReader(string path, FileStream file, SaveStreamReader reader, SaveHeader header, string configJson, Stopwatch sinceOpen)
    {
        _path = path;
        _file = file;
        _reader = reader;
        Header = header;
        ConfigJson = configJson;
        _sinceOpen = sinceOpen;
    }

    public SaveHeader Header { get; }

    /// <summary>The saved domain's configuration (a <see cref="DomainSpec"/> as JSON).</summary>
    public string ConfigJson { get; }

    public static SavedDomainReader Open(string path)
    {
        var clock = Stopwatch.StartNew();
        FileStream stream;
        try
        {
            // A small buffer: a version-2 file's records are small and its images are skipped, not read.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 << 10);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DomainRestoreException($"cannot open {path}: {e.Message}", e);
        }
        var reader = new SaveStreamReader(stream);
        try
        {
            var header = reader.ReadHeader();
            if (!reader.TryReadRecord(out var first) || first.Type != SaveRecordType.DomainConfig)
                throw new DomainRestoreException($"{path}: the first record is not the domain configuration");
            string json = Encoding.UTF8.GetString(first.DomainConfigJson);
            return new SavedDomainReader(path, stream, reader, header, json, clock);
        }
        catch (Exception e)
        {
            reader.Dispose();
            stream.Dispose();
            throw Wrap(path, e);
        }
    }

    /// <summary>
    /// Reads and checks the rest of the file's records without restoring anything: what the toolstack does before it
    /// starts a domain process, so that a truncated file or a corrupt record is refused at once. A version-2 file's
    /// records are small and its images are skipped, so this costs little; a version-1 file would be read whole, so
    /// its check is left to the restore itself. The reader cannot restore afterwards (it has reached the end).
    /// </summary>
    /// <remarks>It also reads into the page cache the few guest pages the restore touches before the guest runs
    /// (<see cref="FirstTouchPages"/>): this runs before the request, so a file whose pages were not cached costs the
    /// domain process no disk read for them inside restore-to-running.</remarks>
    public void CheckRecords()
    {
        if (_reader.FormatVersion < 2) return;
        var touched = FirstTouchPages.Enabled ? new FirstTouchPages() : null;
        var images = new List<MemoryImageLayout>();
        try
        {
            while (_reader.TryReadRecord(out var record))
            {
                if (touched is null) continue;
                switch (record.Type)
                {
                    case SaveRecordType.VcpuState: touched.TakeVcpu(record.VcpuState); break;
                    case SaveRecordType.DeviceState: touched.TakeDevice(record.DeviceId, record.DeviceState); break;
                    case SaveRecordType.MemoryImage: images.Add(record.MemoryImage.ToLayout()); break;
                }
            }
            _reader.ExpectEndOfStream();
        }
        catch (Exception e)
        {
            throw Wrap(_path, e);
        }
        if (touched is not null) FirstTouchPagesRead = touched.ReadInto(_file.SafeFileHandle, images);
    }

    /// <summary>How many guest pages <see cref="CheckRecords"/> read ahead into the page cache (<see cref="FirstTouchPages"/>).</summary>
    public int FirstTouchPagesRead { get; private set; }

    /// <summary>The file's format version (1: memory as pages, read eagerly; 2: memory images, mapped).</summary>
    public uint FormatVersion => _reader.FormatVersion;

    /// <summary>Fills <paramref name="target"/> from the rest of the file and starts it (parked if <paramref name="paused"/>).
    /// On failure the target is in no useful state: the caller discards it. A lazily mapped restore returns a started
    /// <see cref="RestoreResult.Verifier"/>, which the caller disposes before the target's memory goes; it calls
    /// <see cref="IRestoreTarget.Crash"/> if an image turns out corrupt.</summary>
    public RestoreResult RestoreInto(IRestoreTarget target, bool paused, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var clock = Stopwatch.StartNew();
        var jitStart = JitSnapshot.Take();
        MemoryImageVerifier? verifier = null;
        try
        {
            var images = new List<MemoryImageLayout>();
            var state = new RestoredStateRecords(target.VcpuCount, _path);
            bool regionsChecked = false;
            while (_reader.TryReadRecord(out var record))
            {
                switch (record.Type)
                {
                    case SaveRecordType.MemoryRegionMap:
                        RestoredStateRecords.RequireSameRegions(record, target, "the saved memory map", "its configuration builds");
                        regionsChecked = true;
                        break;
                    case SaveRecordType.MemoryPages:
                        // The writer puts the map first; the reader has checked that order.
                        if (!regionsChecked) throw record.Error(0, "region map", "memory pages before the region map");
                        record.MemoryPages.ApplyTo(target.Memory, memoryIsZero: true);
                        break;
                    case SaveRecordType.MemoryImage:
                        if (!regionsChecked) throw record.Error(0, "region map", "a memory image before the region map");
                        images.Add(record.MemoryImage.ToLayout());
                        break;
                    default:
                        state.TryTake(record);
                        break;
                }
            }
            _reader.ExpectEndOfStream();
            var totals = _reader.Totals;
            state.Complete();
            var read = clock.Elapsed;
            var jitRead = JitSnapshot.Take();

            var placement = MemoryImagePlacement.Place(_path, _file.SafeFileHandle, target.Memory, images);
            var mapped = clock.Elapsed;
            if (placement.AnyMapped)
            {
                // From here the handle is the verifier's: it outlives this reader, as long as the mapping is in use.
                _fileHandedOver = true;
                verifier = new MemoryImageVerifier(_path, _file.SafeFileHandle, target.Memory, images, placement.Mapped, target.Crash);
            }

            var machineSteps = new RestoreProfile();
            using (machineSteps.Enter()) state.StartMachine(target);
            var started = clock.Elapsed;
            // Summed now: the profile's total is this step's, not the time until the line is written.
            string machineSummary = machineSteps.Summary("vCPU and platform");
            var deviceSteps = new StringBuilder();
            state.RestoreDevices(target, deviceSteps);
            var devicesDone = clock.Elapsed;
            if (!paused) target.ResumeVcpus();
            long runningAt = Stopwatch.GetTimestamp();
            var running = clock.Elapsed;
            state.KickQueues();
            var sinceOpen = _sinceOpen.Elapsed;
            if (verifier is not null && log is not null)
                verifier.Finished += (problem, took) => log(problem is null
                    ? $"verified the memory images of {_path}: {verifier.ChunksVerified} chunks, {verifier.BytesRead >> 20} MiB read, in {took.TotalMilliseconds:0} ms"
                    : $"memory image check failed after {took.TotalMilliseconds:0} ms: {problem}");
            // Started only once the guest runs: it competes for the CPU, and nothing waits for it.
            verifier?.Start();
            return new RestoreResult(totals.DataPages, totals.ZeroPages, state.DeviceCount, running)
            {
                RunningAt = runningAt,
                FormatVersion = _reader.FormatVersion,
                MappedBytes = placement.MappedBytes,
                ReadBytes = placement.ReadBytes,
                ReadTime = read,
                MapTime = mapped - read,
                StateTime = started - mapped,
                DevicesTime = devicesDone - started,
                SinceOpen = sinceOpen,
                Verifier = verifier,
                Profile = ApplyProfile(jitStart, jitRead, machineSummary, deviceSteps),
            };
        }
        catch (Exception e)
        {
            verifier?.Dispose();
            throw Wrap(_path, e);
        }
    }

    /// <summary>"records (JIT …), vCPU and platform +ms […], devices …, completed …; JIT (all threads) n methods (#a–#b), t ms".
    /// Built by concatenation: an interpolated string's generic formatting paths have no ReadyToRun code.</summary>
    private static string ApplyProfile(JitSnapshot jitStart, JitSnapshot jitRead, string machine, StringBuilder devices)
    {
        var text = new StringBuilder("records");
        RestoreProfile.AppendJit(text, jitRead.Methods - jitStart.Methods, jitRead.Time - jitStart.Time);
        text.Append(", ").Append(machine).Append(", devices ").Append(devices).Append("; ");
        jitStart.AppendSince(text);
        return text.ToString();
    }

    private static Exception Wrap(string path, Exception e) => e switch
    {
        DomainRestoreException => e,
        SaveFormatException or DeviceStateException or IOException or MemoryImageException => new DomainRestoreException($"{path}: {e.Message}", e),
        _ => new DomainRestoreException($"cannot restore {path}: {e.Message}", e),
    };

    public void Dispose()
    {
        _reader.Dispose();
        if (!_fileHandedOver) _file.Dispose();
    }
}
