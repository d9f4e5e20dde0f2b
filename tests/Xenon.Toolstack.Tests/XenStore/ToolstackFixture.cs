using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Store.Server;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Tests.XenStore;

/// <summary>
/// A private world for toolstack tests: a runtime root, a log dir and a xenstored (Xenon.Store, in-process) on a
/// temp socket. Fake domains are runtime directories owned by this (live) test process, optionally with a fake
/// control socket that answers like a domain process and records the commands it got.
/// </summary>
public sealed class ToolstackFixture : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private XenStoreDaemon? _daemon;

    public ToolstackFixture(bool startStore = true)
    {
        Root = Directory.CreateTempSubdirectory("xenon-ts-").FullName;
        Context = new ToolstackContext(Path.Combine(Root, "run"), Path.Combine(Root, "log"), Path.Combine(Root, "xs", "socket"), null);
        Directory.CreateDirectory(Context.LogDir);
        if (startStore) StartStore();
    }

    public string Root { get; }

    public ToolstackContext Context { get; private set; }

    public XenStoreDaemon? Daemon => _daemon;

    /// <summary>What the fake control sockets report as the domain's state in <c>info</c> ("running" or "paused").</summary>
    public string InfoState { get; set; } = "running";

    /// <summary>Online vCPU counts the fake control sockets report (vcpu-set changes them), by domain name; the
    /// spec's vcpus when absent.</summary>
    public Dictionary<string, int> OnlineVcpus { get; } = [];

    /// <summary>Commands the fake control sockets received, as "NAME:cmd-line".</summary>
    public List<string> ControlLog { get; } = [];

    public void StartStore()
    {
        _daemon = new XenStoreDaemon(Context.XenStoreSocket);
        _daemon.Start();
    }

    public void StopStore()
    {
        _daemon?.Stop();
        _daemon = null;
    }

    /// <summary>Lets commands start xenstored on demand (an in-process daemon), counting the starts.</summary>
    public void AllowAutoStart(Action? onStart = null)
    {
        Context = Context with
        {
            StartXenStore = path =>
            {
                onStart?.Invoke();
                _daemon = new XenStoreDaemon(path);
                _daemon.Start();
            },
        };
    }

    public XsClient Client() => XsClient.Connect(Context.XenStoreSocket);

    public static DomainSpec Spec(string name, int domId, int vcpus = 1, int maxVcpus = 0) => new()
    {
        Name = name,
        DomId = domId,
        Uuid = Guid.NewGuid(),
        MemoryMiB = 128,
        MaxMemoryMiB = 256,
        Vcpus = vcpus,
        MaxVcpus = maxVcpus,
        Kernel = "/boot/vmlinuz",
        Cmdline = "console=ttyS0",
        Disks = [new DiskSpec { Path = "/tmp/x.img", Vdev = "xvda" }, new DiskSpec { Path = "/tmp/y.img", Vdev = "xvdb", ReadOnly = true }],
        Vifs = [new VifSpec { DevId = 0, Mac = "00:16:3e:01:02:03", IfName = $"vif{domId}.0" }],
    };

    /// <summary>A runtime directory that counts as a live domain (its pid is this process).</summary>
    public DomainRuntimeDirectory AddDomain(DomainSpec spec, bool control = false, int? pid = null)
    {
        var dir = Context.DirectoryFor(spec.Name);
        Directory.CreateDirectory(dir.Path);
        DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(spec));
        DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{pid ?? Environment.ProcessId}\n");
        if (control) _owned.Add(new UnixSocketListener(dir.ControlSocket, "fake-control", c => Serve(c, dir, spec)));
        return dir;
    }

    private void Serve(Socket client, DomainRuntimeDirectory dir, DomainSpec spec)
    {
        new Thread(() =>
        {
            using (client)
            {
                var buffer = new byte[4096];
                int n;
                try
                {
                    n = client.Receive(buffer);
                }
                catch (SocketException)
                {
                    return;
                }
                string line = Encoding.UTF8.GetString(buffer, 0, n).Trim();
                lock (ControlLog) ControlLog.Add($"{spec.Name}:{line}");
                using var doc = JsonDocument.Parse(line);
                int online;
                lock (OnlineVcpus) online = OnlineVcpus.GetValueOrDefault(spec.Name, spec.Vcpus);
                string reply = doc.RootElement.GetProperty("cmd").GetString() switch
                {
                    "info" => $"{{\"ok\":true,\"name\":\"{spec.Name}\",\"state\":\"{InfoState}\",\"vcpus\":{online},\"memory_mib\":100,\"target_mib\":100,\"max_memory_mib\":256}}",
                    "rename" => dir.MoveTo(doc.RootElement.GetProperty("name").GetString()!) is { } why
                        ? $"{{\"ok\":false,\"error\":\"{why}\"}}" : "{\"ok\":true}",
                    "destroy" => Destroyed(dir),
                    "vcpus" => $"{{\"ok\":true,\"max_vcpus\":{spec.EffectiveMaxVcpus},\"online\":[{string.Join(',', Enumerable.Range(0, online))}]}}",
                    "vcpu-set" => VcpuSet(spec, doc.RootElement.GetProperty("vcpus").GetInt32()),
                    _ => "{\"ok\":true}",
                };
                client.Send(Encoding.UTF8.GetBytes(reply + "\n"));
            }
        }) { IsBackground = true }.Start();
    }

    private string VcpuSet(DomainSpec spec, int count)
    {
        lock (OnlineVcpus) OnlineVcpus[spec.Name] = count;
        return "{\"ok\":true}";
    }

    private static string Destroyed(DomainRuntimeDirectory dir)
    {
        dir.WriteFile("outcome", "Destroyed 4 destroyed\n");
        return "{\"ok\":true}";
    }

    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
        StopStore();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A socket still closing; the temp dir goes with the machine.
        }
    }
}
