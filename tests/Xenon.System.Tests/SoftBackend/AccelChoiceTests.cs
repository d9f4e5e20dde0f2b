using Xenon.Kvm;

namespace Xenon.System.Tests.SoftBackend;

/// <summary><c>accel = "kvm"</c> on a host without a usable /dev/kvm: a clear error before anything runs. Seconds, no guest.</summary>
public sealed class AccelChoiceTests
{
    [Fact]
    public void Forced_kvm_without_kvm_fails_before_the_domain_starts()
    {
        if (KvmSystem.IsAvailable(out _)) Assert.Skip("this host has a usable /dev/kvm");
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Assert.Skip("xenon create needs Linux and root");
        if (XenonProcess.Cli is null) Assert.Skip($"xenon.dll is not in {AppContext.BaseDirectory}");
        string scratch = Directory.CreateTempSubdirectory("xenon-accel-kvm-").FullName;
        var xenstored = new ScratchXenStored(scratch);
        try
        {
            // Any file will do as a kernel: the backend is chosen before the kernel is read.
            string kernel = Path.Combine(scratch, "vmlinuz");
            File.WriteAllText(kernel, "not a kernel");
            string cfg = Path.Combine(scratch, "kvm.cfg");
            File.WriteAllText(cfg, $"name = \"accel-kvm-{Environment.ProcessId}\"\nkernel = \"{kernel}\"\naccel = \"kvm\"\n");
            var env = xenstored.Use(new Dictionary<string, string> { ["XENON_RUN_DIR"] = Path.Combine(scratch, "run"), ["XENON_LOG_DIR"] = Path.Combine(scratch, "log") });
            using var xenon = XenonProcess.Start(["create", "-F", cfg], scratch, env);
            Assert.True(xenon.WaitForExit(TimeSpan.FromSeconds(60)), $"xenon create did not end. {xenon.Describe()}");
            Assert.Equal(1, xenon.ExitCode);
            Assert.Contains("accel = \"kvm\": KVM is not usable on this host", xenon.Errors, StringComparison.Ordinal);
        }
        finally
        {
            xenstored.Dispose();
            Directory.Delete(scratch, recursive: true);
        }
    }
}
