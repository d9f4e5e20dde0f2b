namespace Xenon.Kvm.Abi;

/// <summary>Values of <see cref="KvmRun.ExitReason"/> (KVM_EXIT_*).</summary>
public enum KvmExitReason : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    SetTpr = 11,
    TprAccess = 12,
    Nmi = 16,
    InternalError = 17,
    Watchdog = 21,
    SystemEvent = 24,
    IoapicEoi = 26,
    Hyperv = 27,
    X86Rdmsr = 29,
    X86Wrmsr = 30,
    DirtyRingFull = 31,
    ApResetHold = 32,
    X86BusLock = 33,
    Xen = 34,
    Notify = 37,
}

/// <summary>Values of <see cref="KvmRunSystemEvent.Type"/> (KVM_SYSTEM_EVENT_*).</summary>
public enum KvmSystemEventType : uint
{
    Shutdown = 1,
    Reset = 2,
    Crash = 3,
    Wakeup = 4,
    Suspend = 5,
    SevTerm = 6,
}

/// <summary>Values of <see cref="KvmRunInternal.Suberror"/> (KVM_INTERNAL_ERROR_*).</summary>
public enum KvmInternalError : uint
{
    Emulation = 1,
    SimulEx = 2,
    DeliveryEv = 3,
    UnexpectedExitReason = 4,
}
