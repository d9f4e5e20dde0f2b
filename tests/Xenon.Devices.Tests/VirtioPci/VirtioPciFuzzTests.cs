using Xenon.Devices.Pci;
using Xenon.Devices.Virtio.Pci;

namespace Xenon.Devices.Tests.VirtioPci;

public sealed class VirtioPciFuzzTests
{
    private static readonly int[] Sizes = [1, 2, 4, 8, 3, 16];

    /// <summary>Random accesses of random sizes to configuration space and both BARs, with a fake device whose
    /// queues may or may not be live: nothing throws, and the registers stay consistent.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomAccessesNeverThrow(int seed)
    {
        using var rig = new VirtioPciRig();
        var random = new Random(seed);
        ulong registers = rig.BarAddress(VirtioPciLayout.RegisterBar);
        ulong msiX = rig.BarAddress(VirtioPciLayout.MsiXBar);
        Span<byte> buffer = stackalloc byte[16];
        int pciCfg = rig.PciCfgCap;
        for (int i = 0; i < 25_000; i++)
        {
            int size = Sizes[random.Next(Sizes.Length)];
            var data = buffer[..size];
            random.NextBytes(data);
            bool write = random.Next(2) == 0;
            int kind = random.Next(10);
            try
            {
                switch (kind)
                {
                    case 0:
                        // Configuration space, but leave the command register and BARs alone so the BARs stay mapped.
                        int reg = random.Next(2) == 0 ? pciCfg + random.Next(20) : 0x40 + random.Next(0xc0);
                        if (write) rig.Transport.WriteConfig(reg, data); else rig.Transport.ReadConfig(reg, data);
                        break;
                    case 1:
                        ulong msiXOffset = (ulong)random.Next(0x1000);
                        if (write) rig.Pci.Mmio.Write(msiX + msiXOffset, data); else rig.Pci.Mmio.Read(msiX + msiXOffset, data);
                        break;
                    case 2:
                        // A plausible driver: a valid status sequence or a reset.
                        byte status = (byte)(new byte[] { 0, 1, 3, 11, 15, 0x8f }[random.Next(6)]);
                        rig.WriteCommon(VirtioCommonCfg.DeviceStatus, status, 1);
                        break;
                    case 3:
                        rig.Transport.Interrupt.SignalUsedBuffers(random.Next(-1, 4));
                        break;
                    default:
                        // Mostly the common area, where the state machine lives.
                        ulong offset = kind < 7 ? (ulong)random.Next(0x40) : (ulong)random.Next((int)VirtioPciLayout.RegisterBarSize);
                        if (write) rig.Pci.Mmio.Write(registers + offset, data); else rig.Pci.Mmio.Read(registers + offset, data);
                        break;
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, iteration {i}: {(write ? "write" : "read")} kind {kind} size {size} threw {e}");
            }
            foreach (var q in rig.Transport.Queues)
                Assert.True(!q.Ready || q.Size <= q.MaxSize, $"seed {seed}, iteration {i}: live queue with size {q.Size} > {q.MaxSize}");
        }
        // Whatever happened, a reset and a clean initialisation still work.
        Assert.True(rig.Negotiate(VirtioTransportFeatures.Version1), $"status 0x{rig.Status:x2}");
        Assert.Equal((uint)(PciCommand.MemorySpace | PciCommand.BusMaster), rig.ConfigRead(PciConfigOffsets.Command, 2) & (PciCommand.MemorySpace | PciCommand.BusMaster));
    }
}
