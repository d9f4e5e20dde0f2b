using Xenon.Domain.Save;

namespace Xenon.Domain.Tests.Save;

/// <summary>The reader's checks that avoid generic framework helpers (no ReadyToRun code for them): the record-type
/// range check equals the defined set, and the per-vCPU "seen" table grows past its first size.</summary>
public sealed class SaveStreamRecordKeyTests
{
    [Fact]
    public void RecordTypesAreNumberedWithoutGapsUpToMemoryImage()
    {
        // SaveStreamReader takes a type as known when it is at most MemoryImage.
        for (uint t = 0; t < 64; t++)
            Assert.Equal(Enum.IsDefined((SaveRecordType)t), t <= (uint)SaveRecordType.MemoryImage);
    }

    [Fact]
    public void AVcpuIndexPastTheFirstTableIsTrackedAndItsSecondRecordRefused()
    {
        static byte[] Vcpu(uint index)
        {
            var payload = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(payload, index);
            return SaveStreams.RawRecord((uint)SaveRecordType.VcpuState, payload);
        }
        var stream = SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Vcpu(3), Vcpu(200), Vcpu(1000), Vcpu(200));
        using var reader = new SaveStreamReader(new MemoryStream(stream));
        reader.ReadHeader();
        var indices = new List<int>();
        var e = Assert.Throws<SaveFormatException>(() =>
        {
            while (reader.TryReadRecord(out var record))
                if (record.Type == SaveRecordType.VcpuState) indices.Add(record.VcpuIndex);
        });
        Assert.Equal([3, 200, 1000], indices);
        Assert.Contains("vCPU 200 has a second state record", e.Message, StringComparison.Ordinal);
    }
}
