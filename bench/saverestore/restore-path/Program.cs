// The restore path of a saved domain without KVM: SavedDomainReader.Open + RestoreInto into fresh guest memory, with
// no vCPUs or devices (their state costs the same at any memory size), for format 2 (memory images mapped from the
// file) and format 1 (every page read), page cache warm and cold (posix_fadvise DONTNEED on the file only), and what
// first touching every data page costs afterwards (the work lazy restore moves to run time).
//
//   dotnet run -c Release -- [DIR] [SIZES_MIB (default 256,1024)] [DATA_PERCENT (default 6, at most 6.25: see Fill)] [RUNS (default 7)]
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
int[] sizes = (args.Length > 1 ? args[1] : "256,1024").Split(',').Select(int.Parse).ToArray();
int dataPercent = args.Length > 2 ? int.Parse(args[2]) : 6;
int runs = args.Length > 3 ? int.Parse(args[3]) : 7;
Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} CPUs, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; data {dataPercent}% of pages, {runs} runs (first dropped)");
Console.WriteLine("size_mib\tformat\tcache\tfile_mib\tallocated_mib\trestore_ms_median\trestore_ms_min\ttouch_ms_median");
foreach (int mib in sizes)
{
    ulong size = (ulong)mib << 20;
    string v2 = Path.Combine(dir, $"restore-path-{mib}.v2.save"), v1 = Path.Combine(dir, $"restore-path-{mib}.v1.save");
    using (var source = GuestMemory.CreateX86(size))
    {
        Fill(source, dataPercent);
        Write(v2, source, images: true);
        Write(v1, source, images: false);
    }
    foreach (var (file, format) in new[] { (v2, 2), (v1, 1) })
        foreach (bool cold in new[] { false, true })
        {
            var restore = new List<double>();
            var touch = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                if (cold) DropCache(file);
                using var memory = GuestMemory.CreateX86(size);
                var target = new Target(memory);
                var clock = Stopwatch.StartNew();
                using (var reader = SavedDomainReader.Open(file))
                {
                    var result = reader.RestoreInto(target, paused: false);
                    restore.Add(clock.Elapsed.TotalMilliseconds);
                    // The background check is not part of this measure: stop it at once.
                    result.Verifier?.Dispose();
                }
                clock.Restart();
                long sum = 0;
                foreach (var region in memory.Regions)
                    for (ulong at = 0; at < region.Size; at += 4096) sum += memory.Read<byte>(region.GuestAddress + at);
                touch.Add(clock.Elapsed.TotalMilliseconds);
                GC.KeepAlive(sum);
            }
            restore.RemoveAt(0);
            touch.RemoveAt(0);
            Console.WriteLine($"{mib}\t{format}\t{(cold ? "cold" : "warm")}\t{new FileInfo(file).Length >> 20}\t{Allocated(file) >> 20}\t" +
                              $"{Median(restore):0.00}\t{restore.Min():0.00}\t{Median(touch):0.0}");
        }
    File.Delete(v1);
    File.Delete(v2);
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

// Data clustered as in a booted guest (kernel, page tables, page cache): the first 1.5 MiB of every 12th 2 MiB
// chunk, up to dataPercent of all pages; the other chunks are all zero (the default guest after boot: 45 of its
// 512 chunks hold data at 1 GiB).
static void Fill(GuestMemory memory, int dataPercent)
{
    var rng = new Random(1);
    ulong pages = memory.RamSize / 4096, want = pages * (ulong)dataPercent / 100, done = 0;
    var page = new byte[4096];
    foreach (var region in memory.Regions)
        for (ulong at = 0; at + 4096 <= region.Size && done < want; at += 4096)
        {
            if ((at >> 21) % 12 != 0 || (at & 0x1fffff) >= 0x180000) continue;
            rng.NextBytes(page);
            memory.Write(region.GuestAddress + at, page);
            done++;
        }
}

static void Write(string path, GuestMemory memory, bool images)
{
    using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
    using (var w = new SaveStreamWriter(file, new SaveHeader("bench", Guid.NewGuid())))
    {
        w.WriteDomainConfig("""{"name":"bench"}"""u8);
        w.WriteMemoryRegionMap(memory);
        if (images) w.WriteMemoryImages(memory);
        else w.WriteAllMemory(memory);
        w.WritePlatformState(PlatformStateCodec.Encode(new PlatformState()));
        w.WriteEnd();
    }
    if (images) return;
    // As Xenon wrote it before memory images: format version 1.
    var header = new byte[64];
    using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
    f.ReadExactly(header);
    BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 1);
    int crcAt = SaveFormat.HeaderFixedSize + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(32));
    BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(crcAt), Crc32C.Compute(header.AsSpan(0, crcAt)));
    f.Position = 0;
    f.Write(header);
}

// Only this file's pages leave the page cache (GNU dd's nocache: posix_fadvise DONTNEED), not the whole host's.
static void DropCache(string path)
{
    using var p = Process.Start(new ProcessStartInfo("dd", [$"if={path}", "iflag=nocache", "count=0", "status=none"]))!;
    p.WaitForExit();
}

static long Allocated(string path)
{
    using var p = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
    var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
    p.WaitForExit();
    return long.Parse(parts[0]) * long.Parse(parts[1]);
}

sealed class Target(GuestMemory memory) : IRestoreTarget
{
    public GuestMemory Memory => memory;
    public int VcpuCount => 0;
    public DeviceStateSet DeviceStates { get; } = new();
    public void StartFromState(MachineState state) { }
    public void ResumeVcpus() { }
    public void Crash(string reason) => Console.Error.WriteLine($"crash: {reason}");
}

