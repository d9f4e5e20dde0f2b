using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Devices.Tests.Support;

namespace Xenon.Devices.Tests.Pci;

/// <summary>Config reads, BAR accesses and MSI-X delivery run per guest access or per completed request: no allocation.</summary>
public sealed class PciHotPathAllocationTests
{
    private sealed class CountingSink : Xenon.Devices.Pci.Msi.IMsiSink
    {
        public long Count;
        public void SignalMsi(ulong address, uint data) => Count++;
    }

    [Fact]
    public void ConfigBarAndMsiXPathsDoNotAllocate()
    {
        var rig = new PciRig();
        var sink = new CountingSink();
        var dev = TestPciDevice.Create(sink);
        var a = rig.Root.Attach(dev);
        new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root);
        ulong bar0 = rig.Root.MappedAddress(a, 0)!.Value;
        ulong bar2 = rig.Root.MappedAddress(a, 2)!.Value;
        int cap = 0x40;
        rig.Cf8Write(a, cap + 2, 0x8000, 2);
        rig.MmioWrite32(bar2 + TestPciDevice.MsiXTableOffset + 12, 0);

        var windows = Allocations.Measure(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                rig.Cf8Read(a, i & 0xfc, 4);
                rig.EcamRead(a, i & 0xfc, 4);
                rig.MmioWrite32(bar0 + 8, (uint)i);
                rig.MmioRead32(bar0 + 8);
                dev.MsiX.Trigger(0);
            }
        }, warmUps: 3);
        windows.AssertNothingAllocated("1000 rounds of config/BAR/MSI-X accesses");
        Assert.Equal(windows.Runs * 1000L, sink.Count);
    }
}
