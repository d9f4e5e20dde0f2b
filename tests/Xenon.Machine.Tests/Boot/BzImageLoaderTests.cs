using Xenon.Machine.Boot;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Boot;

public sealed class BzImageLoaderTests
{
    private const ulong Rsdp = 0xe0000;

    private static BootPlan Load(GuestMemory memory, byte[] image, byte[]? initrd = null, string cmdline = "console=ttyS0")
        => BzImageLoader.Load(memory, image, initrd ?? [], cmdline, E820Map.ForGuest(memory), Rsdp);

    private static ulong Zp64(GuestMemory m, int offset) => m.Read<ulong>(BootLayout.BootParams + (ulong)offset);
    private static uint Zp32(GuestMemory m, int offset) => m.Read<uint>(BootLayout.BootParams + (ulong)offset);
    private static ushort Zp16(GuestMemory m, int offset) => m.Read<ushort>(BootLayout.BootParams + (ulong)offset);
    private static byte Zp8(GuestMemory m, int offset) => m.Read<byte>(BootLayout.BootParams + (ulong)offset);

    [Fact]
    public void LoadsAtThePreferredAddressAndFillsBootParams()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var image = new SyntheticBzImage().Build();
        var initrd = new byte[0x12345];
        new Random(1).NextBytes(initrd);
        var plan = Load(memory, image, initrd, "console=ttyS0 root=/dev/vda");

        Assert.Equal(BootProtocol.Linux64, plan.Protocol);
        Assert.Equal(0x1000000UL, plan.KernelStart);
        Assert.Equal(0x1000200UL, plan.EntryPoint);
        Assert.Equal(0x3000000UL, plan.KernelEnd);          // pref + init_size

        var loaded = new byte[0x10000];
        memory.Read(0x1000000, loaded);
        Assert.Equal(image.AsSpan(2560).ToArray(), loaded);

        // setup header copied from the image, then the loader's fields
        Assert.Equal((byte)'H', Zp8(memory, 0x202));
        Assert.Equal(0x020f, Zp16(memory, 0x206));
        Assert.Equal(0xff, Zp8(memory, 0x210));                       // type_of_loader
        Assert.Equal(0x81, Zp8(memory, 0x211));                       // LOADED_HIGH | CAN_USE_HEAP
        Assert.Equal(0xfe00, Zp16(memory, 0x224));                    // heap_end_ptr
        Assert.Equal((uint)BootLayout.CommandLine, Zp32(memory, 0x228));
        Assert.Equal(0u, Zp32(memory, 0x0c8));
        Assert.Equal(Rsdp, Zp64(memory, 0x070));

        var cmd = new byte[29];
        memory.Read(BootLayout.CommandLine, cmd);
        Assert.Equal("console=ttyS0 root=/dev/vda\0"u8.ToArray(), cmd[..28]);

        // initrd: as high as possible in RAM, page-aligned, contents intact
        ulong initrdAt = Zp32(memory, 0x218);
        Assert.Equal((uint)initrd.Length, Zp32(memory, 0x21c));
        Assert.Equal(0UL, initrdAt % 4096);
        Assert.Equal((64 * X86Layout.MiB - (ulong)initrd.Length) & ~0xfffUL, initrdAt);
        Assert.Equal(plan.InitrdAddress, initrdAt);
        var back = new byte[initrd.Length];
        memory.Read(initrdAt, back);
        Assert.Equal(initrd, back);

        // e820 in the zero page
        Assert.Equal(4, Zp8(memory, 0x1e8));
        Assert.Equal(0UL, Zp64(memory, 0x2d0));
        Assert.Equal(0x9fc00UL, Zp64(memory, 0x2d8));
        Assert.Equal(1u, Zp32(memory, 0x2e0));
        Assert.Equal(0x100000UL, Zp64(memory, 0x2d0 + 40));
        Assert.Equal(64 * X86Layout.MiB - 0x100000, Zp64(memory, 0x2d0 + 48));

        // 64-bit entry state
        Assert.Equal(plan.EntryPoint, plan.Registers.Rip);
        Assert.Equal(BootLayout.BootParams, plan.Registers.Rsi);
        Assert.Equal(2UL, plan.Registers.Rflags);
    }

    [Fact]
    public void WithoutAPreferredAddressLoadsAtOneMiBAndRunsAtTheNextAlignment()
    {
        using var memory = GuestMemory.CreateX86(24 * X86Layout.MiB);
        var plan = Load(memory, new SyntheticBzImage { InitSize = 0x400000, PrefAddress = 0 }.Build());
        Assert.Equal(0x100000UL, plan.KernelStart);
        Assert.Equal(0x100200UL, plan.EntryPoint);
        // The decompressor moves the kernel up to kernel_alignment (2 MiB); init_size counts from there.
        Assert.Equal(0x600000UL, plan.KernelEnd);
    }

    [Fact]
    public void NonRelocatableKernelLoadsAtOneMiB()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var plan = Load(memory, new SyntheticBzImage { Relocatable = false }.Build());
        Assert.Equal(0x100000UL, plan.KernelStart);
    }

    [Fact]
    public void KernelTooLargeForRamIsRefused()
    {
        using var memory = GuestMemory.CreateX86(32 * X86Layout.MiB);
        var e = Assert.Throws<BootException>(() => Load(memory, new SyntheticBzImage().Build()));
        Assert.Contains("RAM below 4 GiB ends at 0x2000000", e.Message);
    }

    [Fact]
    public void InitrdTooLargeIsRefused()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var e = Assert.Throws<BootException>(() => Load(memory, new SyntheticBzImage().Build(), new byte[40 * X86Layout.MiB]));
        Assert.Contains("initrd of 41943040 bytes does not fit", e.Message);
    }

    [Fact]
    public void InitrdRespectsInitrdAddrMax()
    {
        using var memory = GuestMemory.CreateX86(256 * X86Layout.MiB);
        var plan = Load(memory, new SyntheticBzImage { InitrdAddrMax = 0x07ffffff }.Build(), new byte[0x1000]);
        Assert.Equal(0x8000000UL - 0x1000, plan.InitrdAddress);
    }

    [Fact]
    public void InitrdStaysBelowTheHoleAndInitrdAddrMaxOnLargeGuests()
    {
        using var memory = GuestMemory.CreateX86(4 * X86Layout.GiB);
        var plan = Load(memory, new SyntheticBzImage().Build(), new byte[0x3001]);
        Assert.Equal((2 * X86Layout.GiB - 0x3001) & ~0xfffUL, plan.InitrdAddress);   // initrd_addr_max 0x7fffffff
        var plan2 = Load(memory, new SyntheticBzImage { InitrdAddrMax = 0xffffffff }.Build(), new byte[0x3001]);
        Assert.Equal((3 * X86Layout.GiB - 0x3001) & ~0xfffUL, plan2.InitrdAddress);  // low RAM ends at the hole
    }

    [Fact]
    public void CommandLineLongerThanCmdlineSizeIsRefused()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var image = new SyntheticBzImage { CmdlineSize = 16 }.Build();
        Load(memory, image, cmdline: new string('a', 16));
        var e = Assert.Throws<BootException>(() => Load(memory, image, cmdline: new string('a', 17)));
        Assert.Contains("17 bytes; the limit is 16", e.Message);
    }

    [Fact]
    public void CommandLineWithNulIsRefused()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        Assert.Throws<BootException>(() => Load(memory, new SyntheticBzImage().Build(), cmdline: "a\0b"));
    }

    [Fact]
    public void NoInitrdLeavesRamdiskFieldsZero()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var plan = Load(memory, new SyntheticBzImage().Build());
        Assert.Equal(0UL, plan.InitrdAddress);
        Assert.Equal(0u, Zp32(memory, 0x218));
        Assert.Equal(0u, Zp32(memory, 0x21c));
    }

    [Fact]
    public void InvalidImageIsRefusedBeforeAnythingIsWritten()
    {
        using var memory = GuestMemory.CreateX86(64 * X86Layout.MiB);
        var e = Assert.Throws<KernelImageException>(() => Load(memory, new byte[4096]));
        Assert.Contains("not a Linux bzImage", e.Message);
        Assert.Equal(0UL, memory.Read<ulong>(BootLayout.BootParams + 0x200));
    }
}
