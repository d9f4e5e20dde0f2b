using Encoding = System.Text.Encoding;

namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// The full-system boot on the software CPU backend, on this host with no hardware virtualisation and no nested host
/// (issue 6): <c>xenon create</c> boots the real default guest to its shell, a command typed there prints its output (two vCPUs online, a virtio disk written),
/// and <c>poweroff</c> ends the domain. No Requires=Kvm trait: the nested tier does not run it. One boot for the class
/// (<see cref="SoftGuestSession"/>, 35–80 s on 2 cores depending on load).
/// </summary>
public sealed class SoftBackendBootTests(SoftGuestSession session) : IClassFixture<SoftGuestSession>
{
    [Fact]
    public void Xenon_create_chooses_the_soft_backend_and_logs_why()
    {
        session.RequireRun();
        Assert.True(session.Errors.Contains("accel soft: software CPU (accel = \"soft\")", StringComparison.Ordinal),
            $"no accel line in xenon's log. {session.Describe()}");
    }

    [Fact]
    public void Guest_reaches_init_and_its_shell()
    {
        session.RequireRun();
        Assert.True(session.Output.Contains("XENON-INIT-OK", StringComparison.Ordinal), $"no XENON-INIT-OK. {session.Describe()}");
        Assert.True(session.ShellAt is not null, $"no XENON-SHELL within {SoftGuestSession.ShellTimeout.TotalSeconds} s. {session.Describe()}");
        Assert.DoesNotContain("XENON-INSMOD-FAIL", session.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_typed_at_the_shell_prints_its_output()
    {
        session.RequireRun();
        string kernel = File.ReadAllText(Path.Combine(session.GuestDir, "version")).Trim();
        string[] expected = [kernel, "sum=42", "2", "0-1", "disk-rc=0"];
        Assert.True(session.CommandOutput.SequenceEqual(expected),
            $"between the markers: [{string.Join(" | ", session.CommandOutput)}], expected [{string.Join(" | ", expected)}]. {session.Describe()}");
    }

    [Fact]
    public void What_the_guest_wrote_to_its_virtio_disk_is_in_the_image()
    {
        session.RequireRun();
        Assert.True(session.ExitCode is not null, $"the domain has not ended. {session.Describe()}");
        byte[] head = new byte[SoftGuestSession.DiskLine.Length];
        using (var image = File.OpenRead(session.DiskImage)) image.ReadExactly(head);
        Assert.True(Encoding.ASCII.GetString(head) == SoftGuestSession.DiskLine,
            $"the disk image starts with '{Encoding.ASCII.GetString(head)}'. {session.Describe()}");
    }

    [Fact]
    public void Poweroff_at_the_shell_ends_the_domain_with_status_0()
    {
        session.RequireRun();
        Assert.True(session.ExitCode == 0, $"xenon's exit status {session.ExitCode?.ToString() ?? "(still running)"}, expected 0 (poweroff). {session.Describe()}");
    }
}
