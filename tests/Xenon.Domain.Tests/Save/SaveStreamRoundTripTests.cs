using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Save;

public sealed class SaveStreamRoundTripTests
{
    [Fact]
    public void EverythingWrittenIsReadBackAndMemoryIsRebuiltExactly()
    {
        using var memory = SaveStreams.Memory();
        byte[] bytes = SaveStreams.Complete(memory);
        using var restored = GuestMemory.Create([(0, 0x10000), (0x100000, 0x10000)]);
        restored.GetSpan(0x5000, 8).Fill(0x99); // stale bytes a zero page must clear

        using var reader = new SaveStreamReader(new MemoryStream(bytes));
        var header = reader.ReadHeader();
        Assert.Equal(SaveStreams.Header, header);
        var vcpus = new Dictionary<int, string>();
        var devices = new Dictionary<string, byte[]>();
        string? platform = null, config = null;
        SaveTotals? end = null;
        while (reader.TryReadRecord(out var r))
        {
            switch (r.Type)
            {
                case SaveRecordType.DomainConfig: config = System.Text.Encoding.UTF8.GetString(r.DomainConfigJson); break;
                case SaveRecordType.MemoryRegionMap: Assert.Equal(2, r.Regions.Count); break;
                case SaveRecordType.MemoryPages: r.MemoryPages.ApplyTo(restored); break;
                case SaveRecordType.VcpuState: vcpus[r.VcpuIndex] = System.Text.Encoding.ASCII.GetString(r.VcpuState); break;
                case SaveRecordType.PlatformState: platform = System.Text.Encoding.ASCII.GetString(r.PlatformState); break;
                case SaveRecordType.DeviceState: devices[r.DeviceId] = r.DeviceState.ToArray(); break;
                case SaveRecordType.End: end = r.EndTotals; break;
            }
        }
        reader.ExpectEndOfStream();

        Assert.Equal(System.Text.Encoding.UTF8.GetString(SaveStreams.ConfigJson), config);
        Assert.Equal("vcpu-zero", vcpus[0]);
        Assert.Equal("vcpu-one", vcpus[1]);
        Assert.Equal("platform", platform);
        Assert.Equal([1, 2, 3], devices["serial0"]);
        Assert.Empty(devices["pci:virtio-blk-xvda"]);
        Assert.Equal([new MemoryRegionEntry(0, 0x10000), new MemoryRegionEntry(0x100000, 0x10000)], reader.RegionMap);
        // config, map, one page record per region, two vCPUs, platform, two devices; 32 pages of which three carry data.
        Assert.Equal(new SaveTotals(9, 3, 29), end);
        Assert.True(memory.GetSpan(0, 0x10000).SequenceEqual(restored.GetSpan(0, 0x10000)));
        Assert.True(memory.GetSpan(0x100000, 0x10000).SequenceEqual(restored.GetSpan(0x100000, 0x10000)));
    }

    [Fact]
    public void ZeroPagesCostNoData()
    {
        using var memory = GuestMemory.Create([(0, 4 << 20)]);
        byte[] bytes = SaveStreams.Complete(memory);
        Assert.True(bytes.Length < 16 * 1024, $"{bytes.Length} bytes for 4 MiB of zeroes");
    }

    [Fact]
    public void LargeMemorySplitsIntoBatchesAndSurvivesAStreamThatTrickles()
    {
        using var memory = GuestMemory.Create([(0, 5 << 20)]);
        var random = new Random(3);
        for (ulong page = 0; page < (5 << 20) / 4096; page += 3) random.NextBytes(memory.GetSpan(page * 4096, 64));
        byte[] bytes = SaveStreams.Complete(memory);
        var types = SaveStreams.ReadAll(bytes, over: new SaveStreams.Trickle(bytes, 1000));
        Assert.Equal(2, types.Count(t => t == SaveRecordType.MemoryPages)); // 1280 pages: 1024 + 256
    }

    [Fact]
    public void UnknownOptionalRecordsAreSkipped()
    {
        using var memory = SaveStreams.Memory();
        byte[] bytes = SaveStreams.Complete(memory, w => w.WriteRawRecord(SaveFormat.OptionalRecordBit | 0x77, "future"u8));
        var types = SaveStreams.ReadAll(bytes);
        Assert.DoesNotContain((SaveRecordType)(SaveFormat.OptionalRecordBit | 0x77), types);
        Assert.Equal(SaveRecordType.End, types[^1]);
    }

    [Fact]
    public void DeviceStatesTravelThroughTheStreamIntoTheirDevices()
    {
        var line = new NullIrq();
        var source = new Serial16550(line, new NullSerial());
        source.Enqueue("pending"u8);
        var sourceSet = new DeviceStateSet().Add(source);
        using var memory = SaveStreams.Memory();
        using var output = new MemoryStream();
        using (var w = new SaveStreamWriter(output, SaveStreams.Header))
        {
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            w.WriteDeviceStates(sourceSet);
            w.WriteEnd();
        }

        var target = new Serial16550(line, new NullSerial());
        var restore = new DeviceStateSet().Add(target).BeginRestore();
        using var reader = new SaveStreamReader(new MemoryStream(output.ToArray()));
        while (reader.TryReadRecord(out var r))
            if (r.Type == SaveRecordType.DeviceState) r.ApplyDeviceState(restore);
        restore.Complete();
        Assert.Equal(7, 4096 - target.ReceiveSpace);
    }

    [Fact]
    public void ADeviceRefusalBecomesAStreamErrorNamingTheRecord()
    {
        using var memory = SaveStreams.Memory();
        byte[] bytes = SaveStreams.Complete(memory);
        var restore = new DeviceStateSet().Add(new Serial16550(new NullIrq(), new NullSerial())).BeginRestore();
        using var reader = new SaveStreamReader(new MemoryStream(bytes));
        var e = Assert.Throws<SaveFormatException>(() =>
        {
            while (reader.TryReadRecord(out var r))
                if (r.Type == SaveRecordType.DeviceState) r.ApplyDeviceState(restore);
        });
        Assert.Equal(SaveRecordType.DeviceState, e.RecordType);
        Assert.Contains("serial0", e.Message);
        Assert.IsType<DeviceStateException>(e.InnerException);
    }

    [Fact]
    public void TheWriterKeepsTheOrderTheReaderDemands()
    {
        using var memory = SaveStreams.Memory();
        using var w = new SaveStreamWriter(new MemoryStream(), SaveStreams.Header);
        Assert.Throws<InvalidOperationException>(() => w.WriteVcpuState(0, []));
        w.WriteDomainConfig(SaveStreams.ConfigJson);
        Assert.Throws<InvalidOperationException>(() => w.WriteDomainConfig(SaveStreams.ConfigJson));
        Assert.Throws<InvalidOperationException>(() => w.WriteMemoryPages(memory, [0]));
        Assert.Throws<InvalidOperationException>(w.WriteEnd);
        w.WriteMemoryRegionMap(memory);
        Assert.Throws<ArgumentException>(() => w.WriteMemoryPages(memory, [0x20]));     // in the gap between regions
        Assert.Throws<ArgumentException>(() => w.WriteDeviceState("bad id", []));
        w.WriteEnd();
        Assert.Throws<InvalidOperationException>(() => w.WritePlatformState([]));
    }

    [Fact]
    public void TheHeaderKeepsLongUnicodeNamesAndRefusesEmptyOnes()
    {
        string name = new('é', 127);
        using var output = new MemoryStream();
        using (var w = new SaveStreamWriter(output, SaveStreams.Header with { DomainName = name, Flags = SaveFlags.Live }))
            w.Flush();
        using var reader = new SaveStreamReader(new MemoryStream(output.ToArray()));
        Assert.Equal(name, reader.ReadHeader().DomainName);
        Assert.Equal(SaveFlags.Live, reader.Header!.Flags);
        Assert.Throws<ArgumentException>(() => new SaveStreamWriter(new MemoryStream(), SaveStreams.Header with { DomainName = "" }));
        Assert.Throws<ArgumentException>(() => new SaveStreamWriter(new MemoryStream(), SaveStreams.Header with { DomainName = new string('é', 128) }));
    }

    private sealed class NullIrq : IIrqLine
    {
        public int Gsi => 4;

        public void SetLevel(bool high)
        {
        }
    }

    private sealed class NullSerial : ISerialOutput
    {
        public void Write(ReadOnlySpan<byte> data)
        {
        }
    }
}
