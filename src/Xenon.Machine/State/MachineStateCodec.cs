namespace Xenon.Machine.State;

/// <summary>
/// The serialised form of a <see cref="MachineState"/>, version 1: magic "XMCS", u16 version, u16 reserved (0),
/// u32 vCPU count (1–<see cref="MaxVcpus"/>), that many length-prefixed <see cref="VcpuStateCodec"/> records (by vCPU
/// index), one length-prefixed <see cref="PlatformStateCodec"/> record.
/// </summary>
public static class MachineStateCodec
{
    public const ushort Version = 1;
    public const int MaxVcpus = 1024;
    /// <summary>Bound on one embedded record: a vCPU record is a few KiB plus an XSAVE image of at most 1 MiB.</summary>
    public const int MaxRecordBytes = 2 << 20;

    private const string Record = "machine state";
    private static ReadOnlySpan<byte> Magic => "XMCS"u8;

    public static byte[] Encode(MachineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = new StateWriter();
        w.Magic(Magic, Version);
        w.U32((uint)state.Vcpus.Count);
        foreach (var v in state.Vcpus) w.Blob(VcpuStateCodec.Encode(v));
        w.Blob(PlatformStateCodec.Encode(state.Platform));
        return w.ToArray();
    }

    public static MachineState Decode(ReadOnlySpan<byte> data)
    {
        var r = new StateReader(data, Record);
        r.Magic(Magic, Version);
        int at = r.Offset;
        int n = r.Count("vcpus.count", MaxVcpus);
        if (n == 0) throw r.Error("vcpus.count", at, "is 0: a machine has at least one vCPU");
        var vcpus = new VcpuState[n];
        for (int i = 0; i < n; i++) vcpus[i] = Nested($"vcpus[{i}]", r.Blob($"vcpus[{i}]", 1, MaxRecordBytes), VcpuStateCodec.Decode);
        var platform = Nested("platform", r.Blob("platform", 1, MaxRecordBytes), PlatformStateCodec.Decode);
        r.End();
        return new MachineState(vcpus, platform);
    }

    private delegate T Decoder<out T>(ReadOnlySpan<byte> data);

    /// <summary>Decodes an embedded record, prefixing its error with where it sits in the machine record.</summary>
    private static T Nested<T>(string where, byte[] blob, Decoder<T> decode)
    {
        try
        {
            return decode(blob);
        }
        catch (StateFormatException e)
        {
            throw new StateFormatException($"{Record} {where}: {e.Message}");
        }
    }
}
