using Xenon.Machine.Backend;

namespace Xenon.Machine.State;

/// <summary>
/// Everything a vCPU needs to continue where it stopped, as plain data independent of the backend that captured it:
/// registers, FPU/XSAVE, control registers, MSRs, its local APIC, pending events and run state. Captured with
/// <see cref="IVcpuBackend.GetState"/>, applied with <see cref="IVcpuBackend.SetState"/>, serialised with
/// <see cref="VcpuStateCodec"/>.
/// </summary>
public sealed class VcpuState
{
    // The empty tables below are "new T[0]", not [] (Array.Empty<T>): Array.Empty over these structs has no ReadyToRun
    // code, and its compilation (with its class constructor) ran inside the restore window.

    /// <summary>Bytes in <see cref="Lapic"/>: the local APIC register page, registers at their xAPIC MMIO offsets.</summary>
    public const int LapicSize = 1024;

    /// <summary>The CPUID table the vCPU runs with. First to be restored: the backend checks XSAVE features, MSRs
    /// and control-register bits against it.</summary>
    public CpuidEntry[] Cpuid { get; set; } = new CpuidEntry[0];

    public X86Registers Registers;
    public X86SpecialRegisters SpecialRegisters;

    /// <summary>An external interrupt accepted but not yet delivered: one bit per vector (four 64-bit words).</summary>
    public ulong[] PendingInterrupts { get; set; } = new ulong[4];

    public FpuState Fpu { get; set; } = new();

    /// <summary>The XSAVE image (standard format, as XSAVE writes it); empty when the backend has no XSAVE.
    /// Supersedes <see cref="Fpu"/> on restore.</summary>
    public byte[] Xsave { get; set; } = [];

    /// <summary>Extended control registers (XCR0).</summary>
    public XcrEntry[] Xcrs { get; set; } = new XcrEntry[0];

    /// <summary>MSRs, in the order they are restored.</summary>
    public MsrEntry[] Msrs { get; set; } = new MsrEntry[0];

    /// <summary>The local APIC register page (<see cref="LapicSize"/> bytes).</summary>
    public byte[] Lapic { get; set; } = new byte[LapicSize];

    public VcpuEvents Events;
    public X86DebugRegisters DebugRegisters;
    public VcpuRunState RunState;

    /// <summary>Guest TSC frequency in kHz (0 if the backend does not say).</summary>
    public uint TscKhz;
}

/// <summary>An extended control register (XCR<see cref="Index"/>) and its value.</summary>
public readonly record struct XcrEntry(uint Index, ulong Value);

/// <summary>Where a vCPU is in the SMP start-up protocol (the values are KVM's KVM_MP_STATE_* for x86).</summary>
public enum VcpuRunState : uint
{
    Runnable = 0,
    /// <summary>An application processor waiting for INIT.</summary>
    Uninitialized = 1,
    InitReceived = 2,
    Halted = 3,
    SipiReceived = 4,
}

/// <summary>DR0–DR3, DR6 and DR7.</summary>
public struct X86DebugRegisters
{
    public ulong Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
}

/// <summary>Events that are pending or half-delivered at the instant of capture: an exception, an external or soft
/// interrupt, an NMI, an SMI, the interrupt shadow after STI/MOV SS. <see cref="ValidFlags"/> says which groups the
/// backend reported (KVM_VCPUEVENT_VALID_* bit values), so a restore applies exactly those.</summary>
public struct VcpuEvents
{
    public bool ExceptionInjected, ExceptionPending, ExceptionHasErrorCode;
    public byte ExceptionVector;
    public uint ExceptionErrorCode;
    public bool ExceptionHasPayload;
    public ulong ExceptionPayload;

    public bool InterruptInjected, InterruptSoft;
    public byte InterruptVector;
    /// <summary>1 = blocked by MOV SS, 2 = blocked by STI.</summary>
    public byte InterruptShadow;

    public bool NmiInjected, NmiPending, NmiMasked;

    public uint SipiVector;

    public bool SmiInSmm, SmiPending, SmiInsideNmi, SmiLatchedInit;

    public bool TripleFaultPending;

    public uint ValidFlags;
}

/// <summary>The x87/SSE state in FXSAVE terms (used when the backend has no XSAVE; otherwise kept for inspection).</summary>
public sealed class FpuState
{
    /// <summary>ST0–ST7, 16 bytes each (80-bit value, 6 bytes padding).</summary>
    public byte[] Registers { get; set; } = new byte[128];
    /// <summary>XMM0–XMM15, 16 bytes each.</summary>
    public byte[] Xmm { get; set; } = new byte[256];
    public ushort Fcw, Fsw, LastOpcode;
    /// <summary>Abridged tag word, FXSAVE format.</summary>
    public byte Ftw;
    public ulong LastIp, LastDp;
    public uint Mxcsr;
}
