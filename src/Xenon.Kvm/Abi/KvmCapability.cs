namespace Xenon.Kvm.Abi;

/// <summary>KVM_CAP_* numbers this VMM asks about with KVM_CHECK_EXTENSION.</summary>
public enum KvmCapability : uint
{
    Irqchip = 0,
    Hlt = 1,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    NrVcpus = 9,
    NrMemslots = 10,
    Pit = 11,
    MpState = 14,
    SyncMmu = 16,
    IrqRouting = 25,
    Irqfd = 32,
    Pit2 = 33,
    Ioeventfd = 36,
    SetIdentityMapAddr = 37,
    AdjustClock = 39,
    InternalErrorData = 40,
    TscControl = 60,
    GetTscKhz = 61,
    MaxVcpus = 66,
    KvmclockCtrl = 76,
    SignalMsi = 77,
    IrqfdResample = 82,
    SplitIrqchip = 121,
    X2apicApi = 129,
    ImmediateExit = 136,
    VmTscControl = 214,
    SystemEventData = 215,
}
