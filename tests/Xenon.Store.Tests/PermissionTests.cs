using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class PermissionTests
{
    private readonly StoreClient _dom0 = new(new XenStore());
    private readonly StoreClient _dom1;
    private readonly StoreClient _dom2;

    public PermissionTests()
    {
        _dom1 = new StoreClient(_dom0.Store, 1, privileged: false);
        _dom2 = new StoreClient(_dom0.Store, 2, privileged: false);
    }

    [Fact]
    public void Dom0_BypassesPermissions_UnprivilegedIsDeniedByDefault()
    {
        _dom0.Write("/secret", "x");
        Assert.Equal(["n0"], _dom0.Request(XsMessageType.GetPerms, 0, "/secret").Strings);
        _dom1.Fails(XsError.EACCES, XsMessageType.Read, 0, "/secret");
        _dom1.Fails(XsError.EACCES, XsMessageType.Write, 0, "/secret", "y");
        // Not even the existence of a node leaks through a parent that hides it.
        _dom1.Fails(XsError.EACCES, XsMessageType.Read, 0, "/secret/missing");
        _dom1.Fails(XsError.EACCES, XsMessageType.Read, 0, "/missing");
    }

    [Fact]
    public void OwnerFirst_ThenListedDomains_ThenDefault()
    {
        _dom0.Write("/shared", "v");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/shared", "n1", "r2");
        Assert.Equal(["n1", "r2"], _dom0.Request(XsMessageType.GetPerms, 0, "/shared").Strings);
        Assert.Equal("v", _dom1.Read("/shared"));           // owner: everything
        _dom1.Write("/shared", "w");
        Assert.Equal("w", _dom2.Read("/shared"));           // listed: read
        _dom2.Fails(XsError.EACCES, XsMessageType.Write, 0, "/shared", "no");
        var dom3 = new StoreClient(_dom0.Store, 3, privileged: false);
        dom3.Fails(XsError.EACCES, XsMessageType.Read, 0, "/shared");  // default: none
        _dom0.Ok(XsMessageType.SetPerms, 0, "/shared", "r1");
        Assert.Equal("w", dom3.Read("/shared"));            // default: read
    }

    [Fact]
    public void MissingNode_IsENOENT_WhenTheParentIsReadable()
    {
        _dom0.Ok(XsMessageType.Mkdir, 0, "/pub");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/pub", "n0", "r1");
        _dom1.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/pub/missing");
    }

    [Fact]
    public void NewChildren_InheritPermissions_AndAnUnprivilegedCreatorOwnsThem()
    {
        _dom0.Ok(XsMessageType.Mkdir, 0, "/local/domain/1");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/local/domain/1", "n0", "b1", "r2");
        _dom1.Write("/local/domain/1/a/b", "1");
        Assert.Equal(["n1", "b1", "r2"], _dom0.Request(XsMessageType.GetPerms, 0, "/local/domain/1/a").Strings);
        Assert.Equal(["n1", "b1", "r2"], _dom0.Request(XsMessageType.GetPerms, 0, "/local/domain/1/a/b").Strings);
        _dom0.Write("/local/domain/1/by-dom0", "1");
        Assert.Equal(["n0", "b1", "r2"], _dom0.Request(XsMessageType.GetPerms, 0, "/local/domain/1/by-dom0").Strings);
    }

    [Fact]
    public void SetPerms_NeedsOwnership_AndCannotGiveNodesAway()
    {
        _dom0.Write("/o", "1");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/o", "n1", "b2");
        _dom2.Fails(XsError.EACCES, XsMessageType.SetPerms, 0, "/o", "n2");
        _dom1.Ok(XsMessageType.SetPerms, 0, "/o", "n1", "r2");
        _dom1.Fails(XsError.EINVAL, XsMessageType.SetPerms, 0, "/o", "n2");
        _dom1.Fails(XsError.ENOSPC, XsMessageType.SetPerms, 0, "/o", "n1", "r2", "r3", "r4", "r5", "r6");
        _dom0.Fails(XsError.EINVAL, XsMessageType.SetPerms, 0, "/o", "x1");
        _dom0.Fails(XsError.EINVAL, XsMessageType.SetPerms, 0, "/o");
        _dom0.Fails(XsError.ENOENT, XsMessageType.SetPerms, 0, "/nonexistent", "n0");
    }

    [Fact]
    public void SetTarget_GivesADeviceModelItsTargetsRights()
    {
        _dom0.Write("/guest", "g");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/guest", "n1");
        _dom2.Fails(XsError.EACCES, XsMessageType.Read, 0, "/guest");
        _dom0.Ok(XsMessageType.Introduce, 0, "1", "0", "0");
        _dom0.Ok(XsMessageType.Introduce, 0, "2", "0", "0");
        _dom0.Ok(XsMessageType.SetTarget, 0, "2", "1");
        Assert.Equal("g", _dom2.Read("/guest"));
    }

    [Fact]
    public void SpecialWatchPaths_HavePermissions()
    {
        Assert.Equal(["n0"], _dom0.Request(XsMessageType.GetPerms, 0, "@releaseDomain").Strings);
        _dom0.Ok(XsMessageType.SetPerms, 0, "@releaseDomain", "n0", "r1");
        Assert.Equal(["n0", "r1"], _dom0.Request(XsMessageType.GetPerms, 0, "@releaseDomain").Strings);
        _dom1.Fails(XsError.EACCES, XsMessageType.SetPerms, 0, "@releaseDomain", "n1");
        _dom0.Fails(XsError.EINVAL, XsMessageType.GetPerms, 0, "@other");
    }
}
