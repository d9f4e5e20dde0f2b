using Xenon.Kvm;
using Xenon.Kvm.Net;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>What the real-tap device tests need: /dev/net/tun and CAP_NET_ADMIN (root). Missing either is a skip with the reason.</summary>
internal static class NetTapRequirements
{
    private const int EPERM = 1, EACCES = 13;

    /// <summary>Opens a fresh tap (unique name: interfaces live in the host's namespace), IPv6 off so the kernel
    /// sends it no solicitations, link up.</summary>
    public static TapDevice OpenUp()
    {
        if (!Path.Exists("/dev/net/tun")) Assert.Skip("needs /dev/net/tun (load the tun module)");
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root (CAP_NET_ADMIN) to create a tap interface");
        TapDevice tap;
        try
        {
            tap = TapDevice.Open($"xnd{Random.Shared.Next():x8}");
        }
        catch (KvmException e) when (e.Errno is EPERM or EACCES)
        {
            Assert.Skip($"the kernel refused to create a tap: {e.Message}");
            throw;
        }
        try
        {
            string ipv6 = $"/proc/sys/net/ipv6/conf/{tap.Name}/disable_ipv6";
            if (File.Exists(ipv6)) File.WriteAllText(ipv6, "1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        tap.SetLinkUp();
        return tap;
    }
}
