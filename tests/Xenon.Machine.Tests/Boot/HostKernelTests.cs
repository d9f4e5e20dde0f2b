using Xenon.Machine.Acpi;
using Xenon.Machine.Boot;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Boot;

/// <summary>
/// Real distribution kernels, when available: a bzImage from /boot or XENON_TEST_KERNEL, and an
/// uncompressed vmlinux (ELF with the PVH note) from XENON_TEST_VMLINUX.
/// </summary>
public sealed class HostKernelTests
{
    // The default guest (guest/build-guest.sh), which scripts/test.sh builds before the tests run.
    private static readonly string DefaultGuest =
        (Environment.GetEnvironmentVariable("XENON_CACHE") ?? "/var/cache/xenon") + "/guest/current/";

    private static byte[] ReadOrSkip(string? path, string what)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) Assert.Skip($"no {what} available");
        try { return File.ReadAllBytes(path); }
        catch (UnauthorizedAccessException) { Assert.Skip($"{path} is not readable"); throw; }
    }

    [Fact]
    public void BootsTheHostBzImageIntoAPlan()
    {
        string? path = Environment.GetEnvironmentVariable("XENON_TEST_KERNEL");
        if (string.IsNullOrEmpty(path) && File.Exists(DefaultGuest + "vmlinuz")) path = DefaultGuest + "vmlinuz";
        if (string.IsNullOrEmpty(path) && Directory.Exists("/boot"))
            path = Directory.GetFiles("/boot", "vmlinuz-*").Order().LastOrDefault();
        var image = ReadOrSkip(path, "bzImage (set XENON_TEST_KERNEL or install a kernel in /boot)");

        var header = SetupHeader.Parse(image);
        Assert.True(header.Version >= 0x020c, $"{path}: protocol {header.VersionText}");
        using var memory = GuestMemory.CreateX86(512 * X86Layout.MiB);
        var plan = DirectKernelBoot.Prepare(memory, image, new byte[0x100000], "console=ttyS0", 2, 2);
        Assert.Equal(BootProtocol.Linux64, plan.Protocol);
        Assert.True(plan.InitrdAddress >= plan.KernelEnd, $"initrd 0x{plan.InitrdAddress:x} overlaps kernel end 0x{plan.KernelEnd:x}");
        Assert.Equal(plan.KernelStart + 0x200, plan.EntryPoint);
        Assert.Equal(0x53726448u, memory.Read<uint>(BootLayout.BootParams + 0x202));
        Assert.InRange(plan.RsdpAddress, AcpiTableBuilder.TableAreaStart, AcpiTableBuilder.TableAreaEnd);
    }

    [Fact]
    public void BootsTheHostVmlinuxThroughPvh()
    {
        var image = ReadOrSkip(Environment.GetEnvironmentVariable("XENON_TEST_VMLINUX") is { Length: > 0 } v ? v : DefaultGuest + "vmlinux",
            "vmlinux (set XENON_TEST_VMLINUX or build the default guest: guest/build-guest.sh)");
        var elf = ElfKernel.Parse(image);
        Assert.InRange(elf.PvhEntry, 0x1000000u, 0x8000000u);
        using var memory = GuestMemory.CreateX86(512 * X86Layout.MiB);
        var plan = DirectKernelBoot.Prepare(memory, image, new byte[0x100000], "console=ttyS0", 1, 1);
        Assert.Equal(BootProtocol.Pvh, plan.Protocol);
        Assert.Equal(elf.PvhEntry, plan.EntryPoint);
        Assert.Equal(PvhStartInfo.Magic, memory.Read<uint>(plan.BootInfoAddress));
    }
}
