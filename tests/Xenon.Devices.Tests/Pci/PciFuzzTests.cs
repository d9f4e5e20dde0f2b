using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Pci;

/// <summary>Guest-controlled config, ECAM and MSI-X accesses in random order, size and value must never throw.</summary>
public sealed class PciFuzzTests
{
    [Fact]
    public void RandomAccessesNeverThrow()
    {
        var rig = new PciRig();
        var sink = new FakeMsiSink();
        var devs = new[] { TestPciDevice.Create(sink), TestPciDevice.Create(sink, vectors: 64) };
        foreach (var d in devs) rig.Root.Attach(d);
        new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root);

        var random = new Random(20240611);
        Span<byte> buffer = stackalloc byte[8];
        int[] sizes = [1, 2, 4, 8, 3, 0];
        int step = 0;
        try
        {
            for (step = 0; step < 100_000; step++)
            {
                int size = sizes[random.Next(sizes.Length)];
                var data = buffer[..size];
                random.NextBytes(data);
                bool write = random.Next(2) == 0;
                switch (random.Next(6))
                {
                    case 0: // CONFIG_ADDRESS / CONFIG_DATA / 0xcf9, random width and offset
                        ushort port = (ushort)(0xcf8 + random.Next(9));
                        if (write) rig.Pio.Write(port, data); else rig.Pio.Read(port, data);
                        break;
                    case 1: // a well-formed type 1 access to an existing function, random register
                        var a = new PciAddress(0, (byte)random.Next(3), 0);
                        rig.OutL(0xcf8, PciRig.Cf8Address(a, random.Next(256)));
                        port = (ushort)(0xcfc + random.Next(4));
                        if (write) rig.Pio.Write(port, data); else rig.Pio.Read(port, data);
                        break;
                    case 2: // ECAM anywhere in the window, biased towards bus 0
                        ulong off = random.Next(4) == 0
                            ? (ulong)random.NextInt64((long)X86Layout.PciEcamSize)
                            : (ulong)random.Next(0, 3 << 15);
                        if (write) rig.Mmio.Write(X86Layout.PciEcamBase + off, data); else rig.Mmio.Read(X86Layout.PciEcamBase + off, data);
                        break;
                    case 3: // MSI-X table and PBA of either device, including past their ends
                        var msix = devs[random.Next(devs.Length)].MsiX;
                        ulong t = (ulong)random.Next(0, 2048);
                        if (random.Next(2) == 0) { if (write) msix.Table.Write(t, data); else msix.Table.Read(t, data); }
                        else { if (write) msix.Pba.Write(t, data); else msix.Pba.Read(t, data); }
                        break;
                    case 4:
                        devs[random.Next(devs.Length)].MsiX.Trigger(random.Next(-2, 70));
                        break;
                    case 5: // wherever the BARs currently are (or were)
                        ulong addr = X86Layout.PciMmio32Base + (ulong)random.Next(0, 0x40000);
                        if (write) rig.Mmio.Write(addr, data); else rig.Mmio.Read(addr, data);
                        break;
                }
                if (step % 25_000 == 0) rig.Root.Reset();
            }
        }
        catch (Exception e)
        {
            Assert.Fail($"step {step} threw: {e}");
        }
        Assert.Equal(0x29c0_8086u, rig.Cf8Read(new PciAddress(0, 0, 0), 0, 4));
        Assert.Equal(0x5678_1234u, rig.EcamRead(new PciAddress(0, 1, 0), 0, 4));
    }
}
