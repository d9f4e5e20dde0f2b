using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class DomainAndQuotaTests
{
    private readonly StoreClient _dom0 = new(new XenStore());

    [Fact]
    public void DomainRequests()
    {
        Assert.Equal("/local/domain/7\0", _dom0.Request(XsMessageType.GetDomainPath, 0, "7").Text);
        _dom0.Fails(XsError.EINVAL, XsMessageType.GetDomainPath, 0, "x");
        Assert.Equal("T\0", _dom0.Request(XsMessageType.IsDomainIntroduced, 0, "0").Text);
        Assert.Equal("F\0", _dom0.Request(XsMessageType.IsDomainIntroduced, 0, "7").Text);
        _dom0.Fails(XsError.ENOENT, XsMessageType.Resume, 0, "7");
        _dom0.Fails(XsError.ENOENT, XsMessageType.Release, 0, "7");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Introduce, 0, "7", "1");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Introduce, 0, "7", "x", "1");
        _dom0.Ok(XsMessageType.Introduce, 0, "7", "4096", "3");
        Assert.True(_dom0.Store.IsDomainIntroduced(7));
        Assert.Equal("T\0", _dom0.Request(XsMessageType.IsDomainIntroduced, 0, "7").Text);
        _dom0.Ok(XsMessageType.Resume, 0, "7");
        _dom0.Fails(XsError.ENOENT, XsMessageType.SetTarget, 0, "7", "8");
        _dom0.Ok(XsMessageType.Release, 0, "7");
        Assert.Equal("F\0", _dom0.Request(XsMessageType.IsDomainIntroduced, 0, "7").Text);
        _dom0.Fails(XsError.EINVAL, XsMessageType.Release, 0, "0");
    }

    [Fact]
    public void PrivilegedRequests_AreEACCES_ForGuests()
    {
        var guest = new StoreClient(_dom0.Store, 4, privileged: false);
        guest.Fails(XsError.EACCES, XsMessageType.Introduce, 0, "5", "0", "0");
        guest.Fails(XsError.EACCES, XsMessageType.Release, 0, "0");
        guest.Fails(XsError.EACCES, XsMessageType.IsDomainIntroduced, 0, "0");
        guest.Fails(XsError.EACCES, XsMessageType.Resume, 0, "0");
        guest.Fails(XsError.EACCES, XsMessageType.SetTarget, 0, "4", "0");
        guest.Fails(XsError.EACCES, XsMessageType.Control, 0, "check");
        Assert.Equal("/local/domain/4\0", guest.Request(XsMessageType.GetDomainPath, 0, "4").Text);
    }

    [Fact]
    public void Control_KnowsAFewCommands()
    {
        _dom0.Ok(XsMessageType.Control, 0, "check");
        _dom0.Ok(XsMessageType.Control, 0, "print", "hello");
        Assert.Contains("quota", _dom0.Request(XsMessageType.Control, 0, "help").Text, StringComparison.Ordinal);
        Assert.Contains("Nodes per Domain: 1000", _dom0.Request(XsMessageType.Control, 0, "quota").Text, StringComparison.Ordinal);
        _dom0.Fails(XsError.EINVAL, XsMessageType.Control, 0, "live-update");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Control, 0);
    }

    [Fact]
    public void EntriesPerDomain_LimitsUnprivilegedOwners()
    {
        var store = new XenStore(new XsQuotas { EntriesPerDomain = 5 });
        var dom0 = new StoreClient(store);
        var guest = new StoreClient(store, 3, privileged: false);
        dom0.Ok(XsMessageType.Mkdir, 0, "/local/domain/3");
        dom0.Ok(XsMessageType.SetPerms, 0, "/local/domain/3", "n3");
        for (var i = 0; i < 4; i++)
        {
            guest.Write("n" + i, "v");
        }

        guest.Fails(XsError.ENOSPC, XsMessageType.Write, 0, "n4", "v");
        // Implicit parents count too: nothing is created when the whole chain does not fit.
        guest.Ok(XsMessageType.Rm, 0, "n0");
        guest.Fails(XsError.ENOSPC, XsMessageType.Write, 0, "deep/er", "v");
        guest.Fails(XsError.ENOENT, XsMessageType.Read, 0, "deep");
        guest.Write("n0", "v");
        // dom0 is not bound by the domain quota.
        for (var i = 0; i < 20; i++)
        {
            dom0.Write("/local/domain/3/tool" + i, "v");
        }
    }

    [Fact]
    public void EntrySize_LimitsUnprivilegedWrites()
    {
        var guest = new StoreClient(_dom0.Store, 3, privileged: false);
        _dom0.Ok(XsMessageType.Mkdir, 0, "/local/domain/3");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/local/domain/3", "n3");
        guest.Write("small", new string('x', 1000));
        guest.Fails(XsError.ENOSPC, XsMessageType.Write, 0, "big", new string('x', 2100));
        _dom0.Write("/local/domain/3/dom0big", new string('x', 4000));
    }

    [Fact]
    public void TotalNodes_BoundsEvenDom0()
    {
        var store = new XenStore(new XsQuotas { MaxTotalNodes = 10 });
        var dom0 = new StoreClient(store);
        for (var i = 0; i < 7; i++)
        {
            dom0.Ok(XsMessageType.Mkdir, 0, "/n" + i);
        }

        dom0.Fails(XsError.ENOSPC, XsMessageType.Mkdir, 0, "/n7");
        Assert.Equal(10, store.NodeCount);
    }

    [Fact]
    public void Payload_LargerThanMax_IsRefused()
    {
        var big = new byte[XsHeader.PayloadMax + 1];
        _dom0.Store.Process(_dom0.Connection, new XsHeader(XsMessageType.Write, 1, 0, (uint)big.Length), big);
        Assert.Equal(XsMessageType.Error, Assert.Single(_dom0.Sink.Messages).Header.Type);
    }
}
