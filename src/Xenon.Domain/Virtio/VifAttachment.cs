using System.Diagnostics;
using Xenon.Kvm;
using Xenon.Kvm.Net;

namespace Xenon.Domain.Virtio;

/// <summary>
/// The host side of one vif, as Xen's vif-bridge hotplug script sets it up: a TAP named vifDOMID.DEVID (or
/// vifname=), its MTU, and either the bridge it joins (built in: SIOCBRADDIF, link up) or the user's
/// <c>script=</c>, run with <c>online</c> now and <c>offline</c> at teardown, with xl's environment
/// (<c>vif</c>, <c>bridge</c>, <c>mac</c>, <c>ip</c>, <c>XENBUS_PATH</c>). Disposing releases the TAP, which
/// removes the interface (it is not persistent), so nothing is left behind when the domain ends.
/// </summary>
internal sealed class VifAttachment : IDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The tap's own address on a bridge (Xen's vif-bridge uses the same).</summary>
    internal static ReadOnlySpan<byte> HostSideMac => [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff];

    private readonly VifSpec _spec;
    private readonly int _domId;
    private readonly Action<string> _log;
    private int _disposed;

    private VifAttachment(VifSpec spec, int domId, TapDevice tap, int mtu, Action<string> log)
    {
        _spec = spec;
        _domId = domId;
        Tap = tap;
        Mtu = mtu;
        _log = log;
    }

    public TapDevice Tap { get; }

    public int Mtu { get; }

    public static VifAttachment Create(VifSpec spec, int domId, Action<string> log)
    {
        if (spec.Script is null && !BridgePort.IsBridge(spec.Bridge))
            throw new DomainBuildException($"vif {spec.DevId}: bridge {spec.Bridge} does not exist (create it, e.g. `ip link add {spec.Bridge} type bridge`, or give bridge= or script= in the vif spec)");
        TapDevice tap;
        try
        {
            tap = TapDevice.Open(spec.IfName);
        }
        catch (KvmException e)
        {
            throw new DomainBuildException($"vif {spec.DevId}: cannot create tap {spec.IfName}: {e.Message}" +
                e.Errno switch
                {
                    16 => " (an interface of that name is in use: another domain, or give vifname=)",
                    2 => " (no TUN/TAP support: load it with `modprobe tun`)",
                    _ => "",
                });
        }
        try
        {
            int mtu = spec.Mtu > 0 ? spec.Mtu : spec.Script is null ? NetInterface.GetMtu(spec.Bridge) : 1500;
            tap.SetMtu(mtu);
            var attachment = new VifAttachment(spec, domId, tap, mtu, log);
            if (spec.Script is not null)
            {
                attachment.RunScript("online", failIsError: true);
            }
            else
            {
                // As Xen's vif-bridge: a bridge takes the lowest address among its ports, and a tap's random one would
                // change the bridge's address whenever a domain is restarted or restored, leaving guests' ARP entries
                // for the host pointing at the old one. fe:ff:ff:ff:ff:ff never wins over a real port's address.
                tap.SetMacAddress(HostSideMac);
                BridgePort.Add(spec.Bridge, tap.Name);
                tap.SetLinkUp();
            }
            return attachment;
        }
        catch (KvmException e)
        {
            tap.Dispose();
            throw new DomainBuildException($"vif {spec.DevId}: cannot attach tap {spec.IfName} to bridge {spec.Bridge}: {e.Message}");
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    private void RunScript(string action, bool failIsError)
    {
        var psi = new ProcessStartInfo(_spec.Script!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(action);
        psi.Environment["vif"] = Tap.Name;
        psi.Environment["bridge"] = _spec.Bridge;
        psi.Environment["mac"] = _spec.Mac;
        psi.Environment["ip"] = _spec.Ip ?? "";
        psi.Environment["mtu"] = Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["XENBUS_PATH"] = $"backend/vif/{_domId}/{_spec.DevId}";
        psi.Environment["script"] = _spec.Script;
        string output;
        int exit;
        try
        {
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(ScriptTimeout))
            {
                p.Kill(entireProcessTree: true);
                throw new DomainBuildException($"vif {_spec.DevId}: {_spec.Script} {action} did not finish within {ScriptTimeout.TotalSeconds:0} s");
            }
            output = (stdout.Result + stderr.Result).Trim();
            exit = p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            if (failIsError) throw new DomainBuildException($"vif {_spec.DevId}: cannot run script {_spec.Script}: {e.Message}");
            _log($"vif {_spec.DevId}: cannot run script {_spec.Script} {action}: {e.Message}");
            return;
        }
        if (exit == 0) return;
        string message = $"vif {_spec.DevId}: {_spec.Script} {action} failed with status {exit}{(output.Length > 0 ? ": " + output : "")}";
        if (failIsError) throw new DomainBuildException(message);
        _log(message);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (_spec.Script is not null) RunScript("offline", failIsError: false);
        }
        finally
        {
            Tap.Dispose();
        }
    }
}
