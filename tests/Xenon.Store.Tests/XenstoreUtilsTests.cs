using System.Diagnostics;

namespace Xenon.Store.Tests;

/// <summary>Debian's xenstore-utils (Xen 4.17's own clients) against our daemon.</summary>
public sealed class XenstoreUtilsTests : IDisposable
{
    private readonly TempDaemon _daemon = new();

    public void Dispose() => _daemon.Dispose();

    private static void RequireTools()
    {
        foreach (var tool in new[] { "xenstore-write", "xenstore-read", "xenstore-ls", "xenstore-list", "xenstore-rm", "xenstore-exists", "xenstore-chmod", "xenstore-watch" })
        {
            if (!File.Exists("/usr/bin/" + tool))
            {
                Assert.Skip($"/usr/bin/{tool} is missing: install Debian's xenstore-utils (scripts/install-deps.sh)");
            }
        }
    }

    private (int Code, string Out, string Err) Run(string tool, params string[] args)
    {
        using var process = Start(tool, args);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(process.WaitForExit(10_000), $"{tool} {string.Join(' ', args)} did not finish");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private Process Start(string tool, string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/" + tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // libxenstore connects to XENSTORED_PATH when set, else /var/run/xenstored/socket.
        info.Environment["XENSTORED_PATH"] = _daemon.SocketPath;
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
    }

    private void Ok(string tool, params string[] args)
    {
        var (code, output, error) = Run(tool, args);
        Assert.True(code == 0, $"{tool} {string.Join(' ', args)} exited {code}: {output}{error}");
    }

    [Fact]
    public void WriteReadListLsExistsRm()
    {
        RequireTools();
        Ok("xenstore-write", "/vm/a/name", "guest", "/vm/a/memory", "512");
        Assert.Equal("guest\n", Run("xenstore-read", "/vm/a/name").Out);
        Assert.Equal("name\nmemory\n", Run("xenstore-list", "/vm/a").Out);
        var ls = Run("xenstore-ls", "/vm").Out;
        Assert.Contains("a = \"\"", ls, StringComparison.Ordinal);
        Assert.Contains(" name = \"guest\"", ls, StringComparison.Ordinal);
        Assert.Contains(" memory = \"512\"", ls, StringComparison.Ordinal);
        Assert.Equal(0, Run("xenstore-exists", "/vm/a/name").Code);
        Assert.NotEqual(0, Run("xenstore-exists", "/vm/a/nothing").Code);
        Ok("xenstore-rm", "/vm/a");
        Assert.NotEqual(0, Run("xenstore-exists", "/vm/a").Code);
        var missing = Run("xenstore-read", "/vm/a/name");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("couldn't read path /vm/a/name", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void ChmodAndLsShowPermissions()
    {
        RequireTools();
        Ok("xenstore-write", "/perm/node", "v");
        Ok("xenstore-chmod", "/perm/node", "n0", "r5", "b7");
        var ls = Run("xenstore-ls", "-p", "/perm").Out;
        Assert.Contains("(n0,r5,b7)", ls, StringComparison.Ordinal);
    }

    [Fact]
    public void LsOfManyChildren_UsesDirectoryPart()
    {
        RequireTools();
        var args = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            args.Add($"/wide/a-rather-long-child-name-number-{i:D4}");
            args.Add("x");
        }

        Ok("xenstore-write", [.. args]);
        var list = Run("xenstore-list", "/wide").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(200, list.Length);
        Assert.Equal("a-rather-long-child-name-number-0199", list[^1]);
    }

    [Fact]
    public async Task WatchReceivesEvents()
    {
        RequireTools();
        Ok("xenstore-write", "/watched/x", "0");
        using var watch = Start("xenstore-watch", ["-n", "2", "/watched"]);
        var timeout = TimeSpan.FromSeconds(10);
        var cancel = TestContext.Current.CancellationToken;

        // The first event is the initial one every new watch gets; the second is our write.
        Assert.Equal("/watched", await watch.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(timeout, cancel));
        Ok("xenstore-write", "/watched/x", "1");
        Assert.Equal("/watched/x", await watch.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(timeout, cancel));
        await watch.WaitForExitAsync(cancel).WaitAsync(timeout, cancel);
        Assert.Equal(0, watch.ExitCode);
    }
}
