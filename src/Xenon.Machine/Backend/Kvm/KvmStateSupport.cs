using Xenon.Kvm;
using Xenon.Kvm.Abi;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>What this host's KVM can save and restore for a vCPU, asked once per VM: the XSAVE image size, the optional
/// state ioctls, and the MSRs to carry.</summary>
internal sealed class KvmStateSupport
{
    private KvmStateSupport(int xsaveSize, bool xcrs, bool vcpuEvents, bool debugRegs, bool tscControl, bool getTscKhz, uint[] msrs)
    {
        XsaveSize = xsaveSize;
        Xcrs = xcrs;
        VcpuEvents = vcpuEvents;
        DebugRegs = debugRegs;
        TscControl = tscControl;
        GetTscKhz = getTscKhz;
        Msrs = msrs;
    }

    /// <summary>Bytes of a vCPU's XSAVE image; 0 without XSAVE (the FPU state is then carried by KVM_GET/SET_FPU alone).</summary>
    public int XsaveSize { get; }
    public bool Xcrs { get; }
    public bool VcpuEvents { get; }
    public bool DebugRegs { get; }
    public bool TscControl { get; }
    public bool GetTscKhz { get; }

    /// <summary>The MSR indices to capture, in restore order.</summary>
    public uint[] Msrs { get; }

    public static KvmStateSupport Probe(KvmSystem system, KvmVm vm) => new(
        vm.XsaveSize,
        vm.CheckExtension(KvmCapability.Xcrs) > 0,
        vm.CheckExtension(KvmCapability.VcpuEvents) > 0,
        vm.CheckExtension(KvmCapability.Debugregs) > 0,
        vm.CheckExtension(KvmCapability.TscControl) > 0,
        vm.CheckExtension(KvmCapability.GetTscKhz) > 0,
        KvmMsrsToSave.Select(system.GetMsrIndexList()));
}
