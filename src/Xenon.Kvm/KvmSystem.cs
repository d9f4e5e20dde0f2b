using System.Runtime.InteropServices;
using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>The KVM subsystem (<c>/dev/kvm</c>): API version, capabilities, supported CPUID, and VM creation.</summary>
public sealed unsafe class KvmSystem : IDisposable
{
    public const string DefaultPath = "/dev/kvm";
    public const int ExpectedApiVersion = 12;

    private readonly FileDescriptor _fd;

    private KvmSystem(FileDescriptor fd, int apiVersion, int vcpuMmapSize)
    {
        _fd = fd;
        ApiVersion = apiVersion;
        VcpuMmapSize = vcpuMmapSize;
    }

    public int ApiVersion { get; }

    /// <summary>Bytes to mmap from a vCPU fd: the kvm_run page plus whatever follows it.</summary>
    public int VcpuMmapSize { get; }

    /// <summary>Opens KVM and checks the API version.</summary>
    public static KvmSystem Open(string path = DefaultPath)
    {
        int raw = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (raw < 0) throw KvmException.FromLastError($"open({path})");
        var fd = new FileDescriptor(raw);
        try
        {
            int version = Ioctl.Call(fd, "KVM_GET_API_VERSION", KvmIoctls.GetApiVersion, 0);
            if (version != ExpectedApiVersion)
                throw new NotSupportedException($"{path}: KVM API version {version}, expected {ExpectedApiVersion}");
            int mmapSize = Ioctl.Call(fd, "KVM_GET_VCPU_MMAP_SIZE", KvmIoctls.GetVcpuMmapSize, 0);
            if (mmapSize < sizeof(KvmRun))
                throw new NotSupportedException($"{path}: vCPU mmap size {mmapSize} is smaller than struct kvm_run ({sizeof(KvmRun)})");
            return new KvmSystem(fd, version, mmapSize);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>True if KVM can be opened and speaks the expected API; otherwise <paramref name="reason"/> says why not.</summary>
    public static bool IsAvailable(out string reason, string path = DefaultPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "KVM needs Linux";
            return false;
        }
        if (!File.Exists(path))
        {
            reason = $"{path} does not exist";
            return false;
        }
        try
        {
            using var kvm = Open(path);
            reason = $"{path}: KVM API {kvm.ApiVersion}";
            return true;
        }
        catch (Exception e) when (e is KvmException or NotSupportedException)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>KVM_CHECK_EXTENSION: 0 if absent, otherwise 1 or a capability-specific value (e.g. a limit).</summary>
    public int CheckExtension(KvmCapability capability)
        => Ioctl.Call(_fd, "KVM_CHECK_EXTENSION", KvmIoctls.CheckExtension, (nuint)capability);

    public bool HasExtension(KvmCapability capability) => CheckExtension(capability) > 0;

    /// <summary>KVM_GET_SUPPORTED_CPUID: the leaves KVM can present to a guest on this host.</summary>
    public KvmCpuidEntry2[] GetSupportedCpuid()
    {
        // The kernel does not say how many entries it has: grow the buffer while it answers E2BIG.
        for (int capacity = 128; capacity <= 4096; capacity *= 2)
        {
            int bytes = sizeof(KvmCpuid2Header) + capacity * sizeof(KvmCpuidEntry2);
            byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
            try
            {
                var header = (KvmCpuid2Header*)buffer;
                header->Nent = (uint)capacity;
                int rc = Ioctl.TryCall(_fd, KvmIoctls.GetSupportedCpuid, buffer, out int errno);
                if (rc < 0 && errno == Errno.E2BIG) continue;
                if (rc < 0) throw new KvmException("KVM_GET_SUPPORTED_CPUID", errno);
                int count = (int)Math.Min(header->Nent, (uint)capacity);
                return new ReadOnlySpan<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2Header), count).ToArray();
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
        throw new KvmException("KVM_GET_SUPPORTED_CPUID", Errno.E2BIG);
    }

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs KVM can save and restore on this host (its msrs_to_save and emulated lists).</summary>
    public uint[] GetMsrIndexList()
    {
        KvmMsrListHeader probe = default;
        // With nmsrs = 0 KVM answers E2BIG and writes the count it has.
        int rc = Ioctl.TryCall(_fd, KvmIoctls.GetMsrIndexList, &probe, out int errno);
        if (rc < 0 && errno != Errno.E2BIG) throw new KvmException("KVM_GET_MSR_INDEX_LIST", errno);
        uint capacity = probe.Nmsrs;
        if (capacity > 65536) throw new KvmException("KVM_GET_MSR_INDEX_LIST", Errno.E2BIG);
        int bytes = sizeof(KvmMsrListHeader) + (int)capacity * sizeof(uint);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            var header = (KvmMsrListHeader*)buffer;
            header->Nmsrs = capacity;
            Ioctl.Call(_fd, "KVM_GET_MSR_INDEX_LIST", KvmIoctls.GetMsrIndexList, buffer);
            int count = (int)Math.Min(header->Nmsrs, capacity);
            return new ReadOnlySpan<uint>(buffer + sizeof(KvmMsrListHeader), count).ToArray();
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>KVM_CREATE_VM (default machine type).</summary>
    public KvmVm CreateVm()
    {
        int raw = Ioctl.Call(_fd, "KVM_CREATE_VM", KvmIoctls.CreateVm, 0);
        return new KvmVm(new FileDescriptor(raw), VcpuMmapSize);
    }

    public void Dispose() => _fd.Dispose();
}
