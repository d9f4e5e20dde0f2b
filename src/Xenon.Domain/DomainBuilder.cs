using Xenon.Devices.Legacy.Serial;
using Xenon.Domain.Virtio;
using Xenon.Machine;
using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Boot;
using Xenon.Machine.Cpu;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;

namespace Xenon.Domain;

/// <summary>Builds a ready-to-start machine for a <see cref="DomainSpec"/>: the CPU backend its <c>accel</c> asks for
/// (KVM or the software CPU; the only place that chooses), memory, interrupt controllers, platform devices, kernel and
/// boot tables, vCPUs with CPUID and boot state.</summary>
public static class DomainBuilder
{
    public static RunningDomain Build(DomainSpec spec, ISerialOutput console, Action<string> log)
    {
        // First: a domain that cannot have the backend it asks for fails before anything is read or created.
        var accel = SelectAccel(spec, log);
        var trace = BuildTrace.Start(log);
        // Refuse a kernel that is neither a bzImage nor a PVH ELF before any VM exists. A bzImage's kernel proper is
        // read later, from the file straight into guest memory.
        KernelImage kernel;
        try
        {
            kernel = KernelImage.Open(spec.Kernel);
        }
        catch (KernelImageException e)
        {
            throw new DomainBuildException($"kernel {spec.Kernel}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DomainBuildException($"kernel: cannot read {spec.Kernel}: {e.Message}");
        }
        byte[] initrd = spec.Ramdisk is null ? [] : ReadInput(spec.Ramdisk, "ramdisk");
        trace.Mark("read kernel and initrd");
        return BuildMachine(spec, accel, console, log, trace, (vm, memory) =>
        {
            var plan = DirectKernelBoot.Prepare(memory, kernel, initrd, spec.Cmdline, spec.Vcpus, spec.EffectiveMaxVcpus);
            trace.Mark("kernel, initrd, ACPI and boot tables");
            var supported = vm.Backend.GetSupportedCpuid();
            vm.CreateVcpus(vcpu =>
            {
                var cpuid = CpuidBuilder.Build(supported, vcpu.Index, ApicIds.ForVcpu(vcpu.Index), spec.EffectiveMaxVcpus);
                vcpu.SetCpuid(cpuid);
                vcpu.ResetFpu();
                if (vcpu.Index == 0)
                {
                    vcpu.SetSpecialRegisters(plan.SpecialRegisters);
                    vcpu.SetRegisters(plan.Registers);
                }
            });
            return plan;
        });
    }

    /// <summary>The machine of a saved domain (xl restore): the same memory, platform and devices as
    /// <see cref="Build"/>, but no kernel is read or loaded and the vCPUs get no boot state: guest memory and every
    /// register come from the saved file (<see cref="SaveRestore.SavedDomainReader"/>).</summary>
    public static RunningDomain BuildForRestore(DomainSpec spec, ISerialOutput console, Action<string> log) =>
        BuildMachine(spec, SelectAccel(spec, log), console, log, BuildTrace.Start(log), (vm, _) =>
        {
            vm.CreateVcpus(_ => { });
            return null;
        });

    /// <summary>The backend for <paramref name="spec"/> on this host, logged in one line with the reason.</summary>
    private static AccelSelection SelectAccel(DomainSpec spec, Action<string> log)
    {
        AccelSelection accel;
        try
        {
            accel = AccelSelection.Resolve(spec.Accel, HostVirtualization.Probe);
        }
        catch (AccelUnavailableException e)
        {
            throw new DomainBuildException(e.Message, e);
        }
        log($"domain {spec.Name}: accel {(accel.Backend == AccelMode.Kvm ? "kvm" : "soft")}: {accel.Reason}");
        return accel;
    }

    private static IVmBackend CreateBackend(AccelSelection accel, DomainSpec spec, GuestMemory memory)
    {
        if (accel.Backend == AccelMode.Kvm) return new KvmVmBackend();
        var soft = new SoftVmBackend(memory, spec.EffectiveMaxVcpus);
        // Before any device exists: every DMA write must drop the decoded code it overwrites.
        soft.ObserveDeviceWrites();
        return soft;
    }

    private static RunningDomain BuildMachine(DomainSpec spec, AccelSelection accel, ISerialOutput console, Action<string> log, BuildTrace trace,
        Func<VirtualMachine, GuestMemory, BootPlan?> prepareVcpus)
    {
        var backends = DeviceBackends.Open(spec, log);
        GuestMemory memory;
        try
        {
            // The guest's RAM is maxmem (as on Xen); the balloon keeps it at memory until mem-set raises it.
            memory = GuestMemory.CreateX86(Math.Max(spec.MemoryMiB, spec.MaxMemoryMiB) * X86Layout.MiB);
        }
        catch
        {
            backends.Dispose();
            throw;
        }
        trace.Mark("guest memory");
        VirtualMachine? vm = null;
        PcPlatform? platform = null;
        DomainDevices? devices = null;
        try
        {
            var backend = CreateBackend(accel, spec, memory);
            try
            {
                backend.CreateInterruptControllers();
                // Every possible vCPU exists from the start: those beyond vcpus wait for a start-up IPI, which the guest
                // sends once ACPI CPU hotplug (xl vcpu-set) has made them present.
                vm = new VirtualMachine(backend, memory, spec.EffectiveMaxVcpus, log);
                trace.Mark($"{backend.Name} vm, irqchip, memory slots");
            }
            catch
            {
                backend.Dispose();
                throw;
            }
            platform = PcPlatform.Attach(vm, console, log, spec.Vcpus);
            devices = DomainDevices.Attach(spec, vm, platform.Pci, backends, log);
            trace.Mark("platform and virtio devices");
            var plan = prepareVcpus(vm, memory);
            trace.Mark("vcpus");
            return new RunningDomain(spec, vm, platform, devices, plan);
        }
        catch
        {
            devices?.Dispose();
            backends.Dispose();
            if (vm is not null) vm.Dispose();
            else memory.Dispose();
            platform?.Dispose();
            throw;
        }
    }

    private static byte[] ReadInput(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DomainBuildException($"{what}: cannot read {path}: {e.Message}");
        }
    }
}

/// <summary>A domain could not be built (bad kernel, missing file, no /dev/kvm); the message says which input.</summary>
public sealed class DomainBuildException(string message, Exception? inner = null) : Exception(message, inner);
