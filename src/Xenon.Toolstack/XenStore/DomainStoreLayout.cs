using System.Globalization;
using Xenon.Domain;
using Xenon.Store.Tree;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// The XenStore nodes of a domain, laid out as libxl lays them out (libxl__domain_make, libxl__build_post and the
/// device add paths; docs/misc/xenstore-paths): /local/domain/N, /vm/UUID, and the backends under
/// /local/domain/0/backend/{vbd,vif,console}/N. Pure: computes entries, writes nothing.
/// </summary>
public static class DomainStoreLayout
{
    /// <summary>XenbusStateConnected: what a working backend/frontend pair shows.</summary>
    public const string StateConnected = "4";

    public static string DomainPath(int domId) => $"/local/domain/{Num(domId)}";

    public static string VmPath(Guid uuid) => $"/vm/{uuid:D}";

    /// <summary>Every backend directory a domain has (removed with it).</summary>
    public static IEnumerable<string> BackendPaths(int domId)
    {
        foreach (var kind in new[] { "vbd", "vif", "console" })
            yield return $"/local/domain/0/backend/{kind}/{Num(domId)}";
    }

    /// <summary>Dom0's own nodes (written by xen-init-dom0 on a Xen host).</summary>
    public static List<XsEntry> Dom0(ulong memoryKiB, int cpus)
    {
        const string vm = "/vm/00000000-0000-0000-0000-000000000000";
        var n0 = new[] { new XsPerm(0, XsPermAccess.None) };
        var list = new List<XsEntry>
        {
            new("/local/domain/0", null, n0),
            new("/local/domain/0/name", "Domain-0"),
            new("/local/domain/0/domid", "0"),
            new("/local/domain/0/vm", vm),
            new("/local/domain/0/memory/static-max", Num(memoryKiB)),
            new("/local/domain/0/memory/target", Num(memoryKiB)),
            new(vm, null, n0),
            new($"{vm}/uuid", "00000000-0000-0000-0000-000000000000"),
            new($"{vm}/name", "Domain-0"),
        };
        for (int i = 0; i < cpus; i++) list.Add(new($"/local/domain/0/cpu/{Num(i)}/availability", "online"));
        return list;
    }

    /// <param name="startTime">Seconds since the epoch when the domain was created (/vm/UUID/start_time, xl uptime).</param>
    /// <param name="consoleSocket">Where the domain's console can be reached (console/tty).</param>
    public static List<XsEntry> Domain(DomainSpec spec, double startTime, string consoleSocket)
    {
        int id = spec.DomId;
        string dom = DomainPath(id), vm = VmPath(spec.Uuid);
        // libxl's permission sets: roperm = the toolstack owns, the guest reads; rwperm = the guest owns.
        var ro = new[] { new XsPerm(0, XsPermAccess.None), new XsPerm((uint)id, XsPermAccess.Read) };
        var rw = new[] { new XsPerm((uint)id, XsPermAccess.None) };
        var backendPerms = new[] { new XsPerm(0, XsPermAccess.None), new XsPerm((uint)id, XsPermAccess.Read) };
        ulong maxKiB = Math.Max(spec.MaxMemoryMiB, spec.MemoryMiB) * 1024;
        var e = new List<XsEntry>
        {
            new(dom, null, ro),
            new(vm, null, ro),
            new($"{dom}/vm", vm),
            new($"{dom}/name", spec.Name),
            new($"{dom}/domid", Num(id)),
            new($"{vm}/uuid", spec.Uuid.ToString("D")),
            new($"{vm}/name", spec.Name),
            // Truncated, not rounded: a start time rounded up lies up to 5 ms in the future, and an uptime read at once
            // came out a second short (xl uptime truncates the difference).
            new($"{vm}/start_time", (Math.Floor(startTime * 100) / 100).ToString("0.00", CultureInfo.InvariantCulture)),
            new($"{vm}/image/ostype", "hvm"),
            new($"{vm}/image/kernel", spec.Kernel),
            new($"{vm}/image/ramdisk", spec.Ramdisk ?? ""),
            new($"{vm}/image/cmdline", spec.Cmdline),
            new($"{vm}/on_poweroff", Action(spec.OnPowerOff)),
            new($"{vm}/on_reboot", Action(spec.OnReboot)),
            new($"{vm}/on_crash", Action(spec.OnCrash)),
            new($"{dom}/cpu", null, ro),
            new($"{dom}/memory", null, ro),
            new($"{dom}/memory/static-max", Num(maxKiB)),
            new($"{dom}/memory/target", Num(spec.MemoryMiB * 1024)),
            new($"{dom}/memory/videoram", "0"),
            new($"{dom}/device", null, ro),
            new($"{dom}/control", null, ro),
            // Created empty and owned by the guest, as libxl does: a guest with PV drivers writes "1" to the
            // feature-* nodes it supports and watches control/shutdown. Our guests have no xenbus; the toolstack
            // reaches them through the domain's control socket instead (docs/control-protocol.md).
            new($"{dom}/control/shutdown", null, rw),
            new($"{dom}/control/feature-poweroff", null, rw),
            new($"{dom}/control/feature-reboot", null, rw),
            new($"{dom}/control/feature-suspend", null, rw),
            new($"{dom}/control/feature-s3", null, rw),
            new($"{dom}/control/feature-s4", null, rw),
            new($"{dom}/control/sysrq", null, rw),
            new($"{dom}/control/platform-feature-multiprocessor-suspend", "1"),
            new($"{dom}/control/platform-feature-xs_reset_watches", "1"),
            new($"{dom}/data", null, rw),
            new($"{dom}/drivers", null, rw),
            new($"{dom}/feature", null, rw),
            new($"{dom}/attr", null, rw),
            new($"{dom}/error", null, rw),
        };
        for (int i = 0; i < spec.EffectiveMaxVcpus; i++)
            e.Add(new($"{dom}/cpu/{Num(i)}/availability", i < spec.Vcpus ? "online" : "offline"));

        // The console: the serial port, reachable on the domain process's console socket.
        string cbe = $"/local/domain/0/backend/console/{Num(id)}/0";
        e.Add(new($"{dom}/console", null, ro));
        e.Add(new($"{dom}/console/backend", cbe));
        e.Add(new($"{dom}/console/backend-id", "0"));
        e.Add(new($"{dom}/console/limit", "1048576"));
        e.Add(new($"{dom}/console/type", "xenconsoled"));
        e.Add(new($"{dom}/console/output", "pty"));
        e.Add(new($"{dom}/console/tty", consoleSocket));
        e.Add(new(cbe, null, backendPerms));
        e.Add(new($"{cbe}/frontend", $"{dom}/console"));
        e.Add(new($"{cbe}/frontend-id", Num(id)));
        e.Add(new($"{cbe}/online", "1"));
        e.Add(new($"{cbe}/state", StateConnected));
        e.Add(new($"{cbe}/protocol", "vt100"));

        foreach (var disk in spec.Disks) AddDisk(e, id, dom, disk, backendPerms, ro);
        foreach (var vif in spec.Vifs) AddVif(e, id, dom, vif, backendPerms, ro);
        return e;
    }

    private static void AddDisk(List<XsEntry> e, int id, string dom, DiskSpec disk, XsPerm[] bePerms, XsPerm[] fePerms)
    {
        int devid = XlDiskSpecVdev.TryParse(disk.Vdev, out var vdev, out _) && vdev is not null ? vdev.XenDeviceNumber : 0;
        string be = $"/local/domain/0/backend/vbd/{Num(id)}/{Num(devid)}";
        string fe = $"{dom}/device/vbd/{Num(devid)}";
        e.Add(new(be, null, bePerms));
        e.Add(new($"{be}/frontend", fe));
        e.Add(new($"{be}/frontend-id", Num(id)));
        e.Add(new($"{be}/online", "1"));
        e.Add(new($"{be}/removable", "0"));
        e.Add(new($"{be}/bootable", "1"));
        e.Add(new($"{be}/state", StateConnected));
        e.Add(new($"{be}/dev", disk.Vdev));
        e.Add(new($"{be}/type", "file"));
        e.Add(new($"{be}/mode", disk.ReadOnly ? "r" : "w"));
        e.Add(new($"{be}/params", disk.Path));
        e.Add(new($"{be}/device-type", "disk"));
        e.Add(new(fe, null, fePerms));
        e.Add(new($"{fe}/backend", be));
        e.Add(new($"{fe}/backend-id", "0"));
        e.Add(new($"{fe}/state", StateConnected));
        e.Add(new($"{fe}/virtual-device", Num(devid)));
        e.Add(new($"{fe}/device-type", "disk"));
    }

    private static void AddVif(List<XsEntry> e, int id, string dom, VifSpec vif, XsPerm[] bePerms, XsPerm[] fePerms)
    {
        string be = $"/local/domain/0/backend/vif/{Num(id)}/{Num(vif.DevId)}";
        string fe = $"{dom}/device/vif/{Num(vif.DevId)}";
        e.Add(new(be, null, bePerms));
        e.Add(new($"{be}/frontend", fe));
        e.Add(new($"{be}/frontend-id", Num(id)));
        e.Add(new($"{be}/online", "1"));
        e.Add(new($"{be}/state", StateConnected));
        e.Add(new($"{be}/script", vif.Script ?? "vif-bridge"));
        e.Add(new($"{be}/mac", vif.Mac));
        e.Add(new($"{be}/bridge", vif.Bridge));
        e.Add(new($"{be}/handle", Num(vif.DevId)));
        e.Add(new($"{be}/type", "vif"));
        e.Add(new($"{be}/vifname", vif.IfName));
        if (vif.Mtu > 0) e.Add(new($"{be}/mtu", Num(vif.Mtu)));
        if (vif.Ip is not null) e.Add(new($"{be}/ip", vif.Ip));
        e.Add(new(fe, null, fePerms));
        e.Add(new($"{fe}/backend", be));
        e.Add(new($"{fe}/backend-id", "0"));
        e.Add(new($"{fe}/state", StateConnected));
        e.Add(new($"{fe}/handle", Num(vif.DevId)));
        e.Add(new($"{fe}/mac", vif.Mac));
    }

    private static string Action(LifecycleAction a) => a switch
    {
        LifecycleAction.Destroy => "destroy",
        LifecycleAction.Restart => "restart",
        LifecycleAction.RenameRestart => "rename-restart",
        LifecycleAction.Preserve => "preserve",
        LifecycleAction.CoredumpDestroy => "coredump-destroy",
        LifecycleAction.CoredumpRestart => "coredump-restart",
        _ => "soft-reset",
    };

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Num(ulong n) => n.ToString(CultureInfo.InvariantCulture);
}
