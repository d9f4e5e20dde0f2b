using System.Diagnostics;
using Xenon.Toolstack.Commands;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>The domain process a create or restore gave up waiting for is stopped, not left running unseen.</summary>
public sealed class DomainProcessLauncherTests
{
    [Fact]
    public void AbandonStopsAProcessThatIsStillRunning()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        DomainProcessLauncher.Abandon(p);
        Assert.True(p.HasExited, "the abandoned process is still running");
    }

    [Fact]
    public void AbandonLeavesAnEndedProcessAlone()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        DomainProcessLauncher.Abandon(p);
        Assert.Equal(0, p.ExitCode);
    }
}
