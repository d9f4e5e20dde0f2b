namespace Xenon.Emulator.Execution;

/// <summary>Why <see cref="Cpu.Run"/> returned.</summary>
public enum RunExit
{
    /// <summary>The instruction budget is spent; call Run again.</summary>
    BudgetExhausted,
    /// <summary>HLT with no interrupt deliverable; run again once the interrupt source has something (or to poll).</summary>
    Halted,
    /// <summary>A triple fault (or an exception with no way to deliver it): the machine resets or the domain crashes.</summary>
    Shutdown,
    /// <summary><see cref="Cpu.RequestStop"/> was called.</summary>
    Stopped,
}
