namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// One boot of the default guest (/var/cache/xenon/guest/current, from guest/build-guest.sh) on the software CPU with
/// <c>xenon create -F -c … accel="soft"</c>, directly on this host: no KVM, no nested host. It waits for the guest's
/// shell, types one command line and then <c>poweroff</c>, and keeps everything seen for the tests to assert on.
/// What it needs from the backend today is only the serial console (output and interrupt-driven input through the PIC)
/// and ACPI power-off; more checks go into <see cref="Command"/> as the backend grows (virtio disks, SMP).
/// Env: XENON_SYSTEM_TESTS=0 skips; XENON_GUEST_DIR overrides the guest directory.
/// </summary>
public sealed class SoftGuestSession : IDisposable
{
    public static readonly TimeSpan ShellTimeout = TimeSpan.FromSeconds(400), CommandTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Typed at the shell. The markers are split by quotes so the shell's echo of the typed line does not
    /// contain them; only the command's output does.</summary>
    // Two vCPUs and a virtio disk: the CPUs come up through the soft local APICs (INIT/SIPI), and the disk's requests
    // complete through MSI-X into them. The line written to the disk is read back from the image on the host.
    public const string Command = "echo \"OUT\"-BEGIN; uname -r; echo sum=$((6*7)); grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online; " +
        "echo " + DiskLine + " | dd of=/dev/vda bs=512 conv=sync,fsync 2>/dev/null; echo disk-rc=$?; echo \"OUT\"-END";

    /// <summary>What the guest writes at the start of its disk.</summary>
    public const string DiskLine = "XENON-SOFT-DISK-LINE";

    /// <summary>The disk image, kept until the session is disposed.</summary>
    public string DiskImage => Path.Combine(_scratch, "disk.img");

    private readonly string _scratch;
    private readonly XenonProcess? _xenon;
    private readonly ScratchXenStored _xenstored;

    public SoftGuestSession()
    {
        SkipReason = FindSkipReason(out string guestDir);
        GuestDir = guestDir;
        _scratch = Directory.CreateTempSubdirectory("xenon-soft-boot-").FullName;
        _xenstored = new ScratchXenStored(_scratch);
        if (SkipReason is not null) return;
        string cfg = Path.Combine(_scratch, "soft.cfg");
        using (var disk = File.Create(Path.Combine(_scratch, "disk.img"))) disk.SetLength(16 << 20);
        File.WriteAllText(cfg, $"""
            name = "soft-{Environment.ProcessId}"
            memory = 256
            vcpus = 2
            disk = [ 'format=raw, vdev=xvda, access=rw, target={Path.Combine(_scratch, "disk.img")}' ]
            kernel = "{GuestDir}/vmlinuz"
            ramdisk = "{GuestDir}/initrd.img"
            cmdline = "console=ttyS0 quiet"
            on_reboot = "destroy"
            on_crash = "destroy"
            """);
        var env = _xenstored.Use(new Dictionary<string, string>
        {
            ["XENON_RUN_DIR"] = Path.Combine(_scratch, "run"),
            ["XENON_LOG_DIR"] = Path.Combine(_scratch, "log"),
        });
        _xenon = XenonProcess.Start(["create", "-F", "-c", cfg, "accel=\"soft\""], _scratch, env);
        Run(_xenon);
    }

    /// <summary>Null when the session ran; otherwise why it cannot run on this host.</summary>
    public string? SkipReason { get; }

    public string GuestDir { get; }

    public TimeSpan? ShellAt { get; private set; }

    /// <summary>Console output between the command's markers, one entry a line.</summary>
    public IReadOnlyList<string> CommandOutput { get; private set; } = [];

    public int? ExitCode { get; private set; }

    public string Output => _xenon?.Output ?? "";

    public string Errors => _xenon?.Errors ?? "";

    public string Describe() => _xenon?.Describe() ?? SkipReason ?? "";

    /// <summary>Skips the calling test when the session could not run here.</summary>
    public void RequireRun()
    {
        if (SkipReason is not null) Assert.Skip(SkipReason);
    }

    private void Run(XenonProcess xenon)
    {
        int shell = xenon.WaitFor("XENON-SHELL", ShellTimeout);
        if (shell < 0) return;
        ShellAt = xenon.Elapsed;
        // The shell starts after the marker: give it its prompt before typing.
        int prompt = xenon.WaitFor("# ", CommandTimeout, shell);
        if (prompt < 0) return;
        xenon.Type(Command);
        int begin = xenon.WaitFor("OUT-BEGIN", CommandTimeout, prompt);
        int end = begin < 0 ? -1 : xenon.WaitFor("OUT-END", CommandTimeout, begin);
        if (end >= 0)
        {
            string between = xenon.Output[begin..(end - "OUT-END".Length)];
            CommandOutput = between.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        xenon.Type("poweroff");
        if (xenon.WaitForExit(CommandTimeout)) ExitCode = xenon.ExitCode;
    }

    internal static string? FindSkipReason(out string guestDir)
    {
        guestDir = Environment.GetEnvironmentVariable("XENON_GUEST_DIR") ?? "/var/cache/xenon/guest/current";
        if (Environment.GetEnvironmentVariable("XENON_SYSTEM_TESTS") == "0") return "full-system tier disabled (XENON_SYSTEM_TESTS=0)";
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            return "the soft-backend boot needs Linux and root (xenon create registers the domain and starts xenstored)";
        foreach (var f in new[] { "vmlinuz", "initrd.img" })
            if (!File.Exists(Path.Combine(guestDir, f)))
                return $"no default guest: {Path.Combine(guestDir, f)} is missing (build it with guest/build-guest.sh)";
        if (XenonProcess.Cli is null) return $"xenon.dll is not in {AppContext.BaseDirectory}";
        return null;
    }

    public void Dispose()
    {
        _xenon?.Dispose();
        _xenstored.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
