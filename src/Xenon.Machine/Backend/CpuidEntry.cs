namespace Xenon.Machine.Backend;

/// <summary>One CPUID leaf/subleaf result. <see cref="Indexed"/> marks leaves whose result depends on ECX.</summary>
public record struct CpuidEntry(uint Function, uint Index, bool Indexed, uint Eax, uint Ebx, uint Ecx, uint Edx);

public readonly record struct MsrEntry(uint Index, ulong Value);
