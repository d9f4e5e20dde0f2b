using System.Diagnostics;

namespace Xenon.Toolstack.Tests.Scheduling;

/// <summary>
/// A separate process that looks like a domain process with one vCPU thread: a copy of sleep named <c>vcpu0</c>
/// (a thread's name is its executable's), so placement tests pin its thread and never a thread of the test runner.
/// </summary>
public sealed class VcpuStandIn : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-vcpu-").FullName;
    private readonly Process _process;

    public VcpuStandIn()
    {
        string exe = Path.Combine(_dir, "vcpu0");
        File.Copy("/bin/sleep", exe);
        File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        _process = Process.Start(new ProcessStartInfo(exe, "60") { UseShellExecute = false })!;
    }

    public int Pid => _process.Id;

    /// <summary>Its thread's CPU mask (Linux's list form), once it is running.</summary>
    public string Affinity()
    {
        for (int i = 0; i < 200; i++)
        {
            foreach (var t in Toolstack.Domains.VcpuThreadInfo.Read(Pid))
                if (t.Vcpu == 0) return t.Affinity;
            Thread.Sleep(10);
        }
        throw new InvalidOperationException("the stand-in vCPU thread did not appear");
    }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
