using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;
using Xenon.Devices.Tests.Pci.Support;

namespace Xenon.Devices.Tests.Pci;

public sealed class MsiXCapabilityTests
{
    private const ulong Bar2 = 0xc100_0000;
    private const ulong Table = Bar2 + TestPciDevice.MsiXTableOffset;
    private const ulong Pba = Bar2 + TestPciDevice.MsiXPbaOffset;
    private const ushort Enable = 0x8000;
    private const ushort FunctionMask = 0x4000;

    private readonly PciRig _rig = new();
    private readonly FakeMsiSink _sink = new();
    private readonly TestPciDevice _dev;
    private readonly PciAddress _address;
    private readonly int _cap;

    public MsiXCapabilityTests()
    {
        _dev = TestPciDevice.Create(_sink, vectors: 70);
        _address = _rig.Root.Attach(_dev);
        _rig.Cf8Write(_address, 0x18, (uint)Bar2, 4);
        _rig.Cf8Write(_address, 0x1c, 0, 4);
        _rig.Cf8Write(_address, 4, PciCommand.MemorySpace | PciCommand.BusMaster, 2);
        _cap = FindMsiX();
    }

    private int FindMsiX()
    {
        int p = (int)_rig.Cf8Read(_address, 0x34, 1);
        for (int guard = 0; p != 0 && guard < 48; guard++)
        {
            if (_rig.Cf8Read(_address, p, 1) == PciCapabilityId.MsiX) return p;
            p = (int)_rig.Cf8Read(_address, p + 1, 1);
        }
        Assert.Fail("no MSI-X capability in the capability list");
        return 0;
    }

    private void SetControl(ushort value) => _rig.Cf8Write(_address, _cap + 2, value, 2);

    private void Program(int vector, ulong address, uint data, bool masked)
    {
        ulong e = Table + (ulong)vector * 16;
        _rig.MmioWrite32(e, (uint)address);
        _rig.MmioWrite32(e + 4, (uint)(address >> 32));
        _rig.MmioWrite32(e + 8, data);
        _rig.MmioWrite32(e + 12, masked ? 1u : 0u);
    }

    private ulong ReadPba(int qword)
    {
        Span<byte> b = stackalloc byte[8];
        _rig.Mmio.Read(Pba + (ulong)qword * 8, b);
        return BitConverter.ToUInt64(b);
    }

    [Fact]
    public void CapabilityDescribesTableAndPba()
    {
        Assert.Equal(69u, _rig.Cf8Read(_address, _cap + 2, 2) & 0x7ff); // table size is N-1
        Assert.Equal(TestPciDevice.MsiXTableOffset | 2, _rig.Cf8Read(_address, _cap + 4, 4));
        Assert.Equal(TestPciDevice.MsiXPbaOffset | 2, _rig.Cf8Read(_address, _cap + 8, 4));
        Assert.Equal(70 * 16, _dev.MsiX.TableSize);
        Assert.Equal(16, _dev.MsiX.PbaSize); // 70 bits round up to two qwords
    }

    [Fact]
    public void OnlyEnableAndFunctionMaskAreWritable()
    {
        _rig.Cf8Write(_address, _cap + 2, 0xffff, 2);
        Assert.Equal(0xc000u | 69u, _rig.Cf8Read(_address, _cap + 2, 2));
        _rig.Cf8Write(_address, _cap + 4, 0, 4);
        Assert.Equal(TestPciDevice.MsiXTableOffset | 2, _rig.Cf8Read(_address, _cap + 4, 4));
        Assert.True(_dev.MsiX.Enabled);
        Assert.True(_dev.MsiX.FunctionMasked);
    }

    [Fact]
    public void VectorsStartMaskedAndTableReadsBack()
    {
        for (int v = 0; v < 70; v++) Assert.Equal(1u, _rig.MmioRead32(Table + (ulong)v * 16 + 12));
        Program(3, 0xfee0_1000, 0x4041, masked: false);
        Assert.Equal(0xfee0_1000u, _rig.MmioRead32(Table + 48));
        Assert.Equal(0u, _rig.MmioRead32(Table + 52));
        Assert.Equal(0x4041u, _rig.MmioRead32(Table + 56));
        Assert.Equal(0u, _rig.MmioRead32(Table + 60));
        _rig.MmioWrite32(Table + 60, 0xffff_fffe); // reserved vector-control bits stay zero
        Assert.Equal(0u, _rig.MmioRead32(Table + 60));
        Span<byte> q = stackalloc byte[8];
        _rig.Mmio.Read(Table + 48, q);
        Assert.Equal(0xfee0_1000ul, BitConverter.ToUInt64(q));
    }

    [Fact]
    public void TriggerDeliversWhenEnabledAndUnmasked()
    {
        Program(5, 0xfee0_0000, 0x31, masked: false);
        Assert.False(_dev.MsiX.Trigger(5)); // MSI-X off: the caller falls back to INTx
        Assert.Empty(_sink.Messages);
        SetControl(Enable);
        Assert.True(_dev.MsiX.Trigger(5));
        Assert.Equal([(0xfee0_0000ul, 0x31u)], _sink.Messages);
        Assert.False(_dev.MsiX.Trigger(70));
        Assert.False(_dev.MsiX.Trigger(-1));
    }

    [Fact]
    public void MaskedVectorBecomesPendingAndFiresOnUnmask()
    {
        SetControl(Enable);
        Program(66, 0xfee0_2000, 0x55, masked: true);
        Assert.True(_dev.MsiX.Trigger(66));
        Assert.Empty(_sink.Messages);
        Assert.True(_dev.MsiX.IsPending(66));
        Assert.Equal(1ul << 2, ReadPba(1));
        Assert.Equal(0ul, ReadPba(0));

        _rig.MmioWrite32(Table + 66 * 16 + 12, 0);
        Assert.Equal([(0xfee0_2000ul, 0x55u)], _sink.Messages);
        Assert.False(_dev.MsiX.IsPending(66));
        Assert.Equal(0ul, ReadPba(1));
    }

    [Fact]
    public void FunctionMaskHoldsEveryVectorUntilCleared()
    {
        Program(0, 0xfee0_0000, 0x20, masked: false);
        Program(1, 0xfee0_0000, 0x21, masked: false);
        Program(2, 0xfee0_0000, 0x22, masked: true);
        SetControl(Enable | FunctionMask);
        _dev.MsiX.Trigger(0);
        _dev.MsiX.Trigger(1);
        _dev.MsiX.Trigger(2);
        Assert.Empty(_sink.Messages);
        Assert.Equal(0b111ul, ReadPba(0));

        SetControl(Enable);
        Assert.Equal([(0xfee0_0000ul, 0x20u), (0xfee0_0000ul, 0x21u)], _sink.Messages);
        Assert.Equal(0b100ul, ReadPba(0)); // vector 2 is still masked on its own
    }

    [Fact]
    public void PendingBitFiresOnlyOnce()
    {
        SetControl(Enable);
        Program(4, 0xfee0_0000, 0x44, masked: true);
        _dev.MsiX.Trigger(4);
        _dev.MsiX.Trigger(4);
        _rig.MmioWrite32(Table + 4 * 16 + 12, 0);
        _rig.MmioWrite32(Table + 4 * 16 + 12, 0);
        Assert.Single(_sink.Messages);
    }

    [Fact]
    public void PbaIsReadOnly()
    {
        SetControl(Enable);
        _dev.MsiX.Trigger(7);
        _rig.MmioWrite32(Pba, 0);
        Assert.Equal(1ul << 7, ReadPba(0));
    }

    [Fact]
    public void DisablingDoesNotSetPendingBits()
    {
        _dev.MsiX.Trigger(0);
        Assert.False(_dev.MsiX.IsPending(0));
    }

    [Fact]
    public void ResetMasksEverythingAndClearsPending()
    {
        SetControl(Enable);
        Program(1, 0xfee0_0000, 0x21, masked: true);
        _dev.MsiX.Trigger(1);
        _rig.Root.Reset();
        Assert.False(_dev.MsiX.Enabled);
        Assert.True(_dev.MsiX.IsMasked(1));
        Assert.False(_dev.MsiX.IsPending(1));
        Assert.Equal(0u, _dev.MsiX.GetState().Table[1 * 4 + 2]);
    }

    [Fact]
    public void StateRoundTrips()
    {
        SetControl(Enable);
        Program(9, 0xfee0_3000, 0x99, masked: true);
        _dev.MsiX.Trigger(9);
        var copySink = new FakeMsiSink();
        var copy = TestPciDevice.Create(copySink, vectors: 70);
        copy.Config.SetState(_dev.Config.GetState());
        copy.MsiX.SetState(_dev.MsiX.GetState());
        Assert.True(copy.MsiX.Enabled);
        Assert.True(copy.MsiX.IsPending(9));
        copy.MsiX.Table.Write(9 * 16 + 12, [0, 0, 0, 0]);
        Assert.Equal([(0xfee0_3000ul, 0x99u)], copySink.Messages);
        Assert.Throws<ArgumentException>(() => copy.MsiX.SetState(new MsiXState(new uint[4], new ulong[1])));
    }

    [Fact]
    public void ConstructorRejectsBadLayouts()
    {
        var config = new PciConfigSpace(new PciIdentity(0x1234, 1, PciClass.Other));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MsiXCapability(config, 0, 0, 0, 0, 0x800, _sink));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MsiXCapability(config, 2049, 0, 0, 0, 0x800, _sink));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MsiXCapability(config, 4, 6, 0, 0, 0x800, _sink));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MsiXCapability(config, 4, 0, 4, 0, 0x800, _sink));
    }
}
