using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;

namespace Xenon.Machine.Tests.SoftDevices;

/// <summary>Device writes into guest RAM (DMA) reach the soft CPU's decoded-code cache through the GuestMemory write
/// hook: after a device overwrites a page holding code the CPU has already run, the CPU runs the new code.</summary>
public sealed class DeviceWriteInvalidationTests
{
    private const ulong CodeAddress = 0x1000, ImmediateAddress = CodeAddress + 1;
    private const ushort Port = 0x10;

    // Real mode at 0:0x1000:  mov al, 0x11 / out 0x10, al / jmp $   (the OUT's handler kicks the vCPU out of Run)
    private static readonly byte[] Code = [0xB0, 0x11, 0xE6, (byte)Port, 0xEB, 0xFE];

    [Fact]
    public void AWriteThroughADescriptorChainMakesTheCpuRunTheNewCode()
    {
        using var guest = SoftGuest.Start(observe: true);
        Assert.Equal(0x11, guest.RunOnce());

        // A virtio chain whose device-writable buffer is the immediate of the `mov al` just executed.
        var queue = RingOver(guest.Memory, ImmediateAddress, 1);
        Assert.True(queue.TryPopAvailable(out var chain, out var fault), fault.Describe());
        Assert.Equal(1, chain.CopyToWritable([0x22]));

        Assert.Equal(0x22, guest.RunOnce());
    }

    [Fact]
    public void AWriteThroughGuestMemoryWriteMakesTheCpuRunTheNewCode()
    {
        using var guest = SoftGuest.Start(observe: true);
        Assert.Equal(0x11, guest.RunOnce());
        guest.Memory.Write(ImmediateAddress, [0x33]);
        Assert.Equal(0x33, guest.RunOnce());
    }

    [Fact]
    public void WithoutTheObserverTheCpuRunsItsStaleDecodedCode()
    {
        // The control: shows that the two tests above depend on the hook, not on the CPU re-reading RAM anyway.
        using var guest = SoftGuest.Start(observe: false);
        Assert.Equal(0x11, guest.RunOnce());
        guest.Memory.Write(ImmediateAddress, [0x44]);
        Assert.Equal(0x11, guest.RunOnce());
    }

    [Fact]
    public void NotificationsOutsideCodeOrOutsideRamAreHarmless()
    {
        using var guest = SoftGuest.Start(observe: true);
        guest.Memory.NotifyWritten(0x8000, 4096);
        guest.Memory.NotifyWritten(0xffff_ffff_f000, 4096);
        guest.Memory.NotifyWritten(0x9000, 0);
        guest.Memory.NotifyWritten(0x9000, -1);
        Assert.Equal(0x11, guest.RunOnce());
    }

    [Fact]
    public void TheObserverIsSetOnce()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var a = new SoftVmBackend(memory);
        using var b = new SoftVmBackend(memory);
        a.ObserveDeviceWrites();
        a.ObserveDeviceWrites();
        Assert.Throws<InvalidOperationException>(b.ObserveDeviceWrites);
        memory.WriteObserver = null;
        b.ObserveDeviceWrites();
        Assert.Same(b, memory.WriteObserver);
    }

    /// <summary>A one-entry split ring at 0x8000 offering one device-writable buffer [address, address+length).</summary>
    private static VirtQueue RingOver(GuestMemory memory, ulong address, uint length)
    {
        const ulong Descriptors = 0x8000, Avail = 0x9000, Used = 0xa000;
        memory.Write(Descriptors, address);
        memory.Write(Descriptors + 8, length);
        memory.Write(Descriptors + 12, (ushort)2); // VIRTQ_DESC_F_WRITE
        memory.Write(Descriptors + 14, (ushort)0);
        memory.Write(Avail, (ushort)0);
        memory.Write(Avail + 2, (ushort)1);        // avail.idx
        memory.Write(Avail + 4, (ushort)0);        // ring[0] = head 0
        var queue = new VirtQueue(memory, 1) { Size = 1, DescriptorTable = Descriptors, AvailRing = Avail, UsedRing = Used };
        Assert.True(queue.TryEnable(out var fault), fault.Describe());
        return queue;
    }

    private sealed class SoftGuest : IVcpuExitHandler, IDisposable
    {
        private readonly SoftVmBackend _backend;
        private readonly IVcpuBackend _vcpu;
        private int _lastOut = -1;

        private SoftGuest(GuestMemory memory, SoftVmBackend backend, IVcpuBackend vcpu)
        {
            Memory = memory;
            _backend = backend;
            _vcpu = vcpu;
        }

        public GuestMemory Memory { get; }

        public static SoftGuest Start(bool observe)
        {
            var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
            memory.Write(CodeAddress, Code);
            var backend = new SoftVmBackend(memory);
            if (observe) backend.ObserveDeviceWrites();
            var vcpu = backend.CreateVcpu(0);
            var s = vcpu.GetSpecialRegisters();
            s.Cs = s.Cs with { Base = 0, Selector = 0 };
            vcpu.SetSpecialRegisters(s);
            vcpu.BindToCurrentThread();
            return new SoftGuest(memory, backend, vcpu);
        }

        /// <summary>Runs the code from its start until its OUT has kicked the vCPU; returns the byte written to the port.</summary>
        public int RunOnce()
        {
            _lastOut = -1;
            _vcpu.SetRegisters(new X86Registers { Rip = CodeAddress, Rflags = 2 });
            var exit = _vcpu.Run(this);
            Assert.Equal(VcpuExitKind.Interrupted, exit.Kind);
            return _lastOut;
        }

        public void PortIo(int vcpu, ushort port, Span<byte> data, bool isWrite)
        {
            if (!isWrite || port != Port) return;
            _lastOut = data[0];
            _vcpu.Kick();
        }

        public void Mmio(int vcpu, ulong address, Span<byte> data, bool isWrite) { }

        public void Dispose()
        {
            _vcpu.Dispose();
            _backend.Dispose();
            Memory.Dispose();
        }
    }
}
