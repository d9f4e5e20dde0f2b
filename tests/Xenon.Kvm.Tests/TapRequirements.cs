using Xenon.Kvm.Native;
using Xenon.Kvm.Net;

namespace Xenon.Kvm.Tests;

/// <summary>What the real-tap tests need: /dev/net/tun and CAP_NET_ADMIN (root). Missing either is a skip with the reason.</summary>
internal static class TapRequirements
{
    public static void Tap()
    {
        if (!Path.Exists("/dev/net/tun")) Assert.Skip("needs /dev/net/tun (load the tun module)");
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root (CAP_NET_ADMIN) to create a tap interface");
    }

    /// <summary>A fresh name no other test (or test run) uses: interfaces live in the host's namespace.</summary>
    public static string UniqueName() => $"xnt{Random.Shared.Next():x8}";

    /// <summary>Opens a tap, skipping when the kernel refuses for lack of privilege (root in a restricted container).</summary>
    public static TapDevice Open(string? name = null)
    {
        Tap();
        try
        {
            return TapDevice.Open(name ?? UniqueName());
        }
        catch (KvmException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
        {
            Assert.Skip($"the kernel refused to create a tap: {e.Message}");
            throw;
        }
    }

    /// <summary>Opens a tap and brings it up with IPv6 off, so the kernel does not send it router solicitations
    /// that tests would have to skip past (they filter anyway).</summary>
    public static TapDevice OpenUp()
    {
        var tap = Open();
        try
        {
            string ipv6 = $"/proc/sys/net/ipv6/conf/{tap.Name}/disable_ipv6";
            if (File.Exists(ipv6)) File.WriteAllText(ipv6, "1");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        tap.SetLinkUp();
        return tap;
    }
}
