namespace Xenon.Emulator.Execution;

/// <summary>
/// MSRs the CPU core does not implement itself but the machine does (a paravirtual clock, say). RDMSR/WRMSR of an index the
/// core does not know ask this; false means "not mine" and the guest gets #GP. Called on the vCPU's thread, from inside
/// the instruction, so an implementation must not block and must not throw on any guest value.
/// </summary>
public interface IMsrExtension
{
    bool TryRead(uint msr, out ulong value);

    bool TryWrite(uint msr, ulong value);

    /// <summary>The guest TSC was rewritten (a write to IA32_TSC): anything that publishes TSC values to the guest must
    /// refresh them.</summary>
    void TscChanged();
}
