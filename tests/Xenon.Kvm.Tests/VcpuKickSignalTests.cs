namespace Xenon.Kvm.Tests;

public sealed class VcpuKickSignalTests
{
    [Fact]
    public void SignalIsAFreeRealTimeSignal()
    {
        int n = VcpuKickSignal.Number;
        // glibc keeps 32-33 and the .NET runtime uses SIGRTMIN (34) itself
        Assert.InRange(n, 35, 64);
        Assert.True(VcpuKickSignal.IsInstalled);
    }

    [Fact]
    public void RepeatedKicksOfALiveThreadDoNotKillTheProcess()
    {
        int errors = 0;
        var thread = new Thread(() =>
        {
            nuint self = VcpuKickSignal.CurrentThreadId();
            for (int i = 0; i < 500; i++)
                if (VcpuKickSignal.Send(self) != 0) errors++;
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "kicking thread did not finish");
        Assert.Equal(0, errors);
    }
}
