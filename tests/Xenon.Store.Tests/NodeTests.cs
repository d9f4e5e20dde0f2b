using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class NodeTests
{
    private readonly StoreClient _dom0 = new(new XenStore());

    [Fact]
    public void InitialTree_IsCXenstoredsOwn()
    {
        Assert.Equal(["tool"], _dom0.Directory("/"));
        Assert.Equal(["xenstored"], _dom0.Directory("/tool"));
        Assert.Equal(["n0"], _dom0.Request(XsMessageType.GetPerms, 0, "/").Strings);
    }

    [Fact]
    public void Write_CreatesParentsImplicitly_AndReadReturnsExactBytes()
    {
        _dom0.Write("/a/b/c", "hello");
        Assert.Equal("hello", _dom0.Read("/a/b/c"));
        Assert.Equal(string.Empty, _dom0.Read("/a/b"));
        Assert.Equal(["b"], _dom0.Directory("/a"));
        Assert.Equal(["tool", "a"], _dom0.Directory("/"));

        // The value is every byte after the path's nul, nuls included.
        _dom0.Write("/bin", "x\0y");
        Assert.Equal("x\0y", _dom0.Read("/bin"));
        _dom0.Write("/empty", string.Empty);
        Assert.Equal(string.Empty, _dom0.Read("/empty"));
    }

    [Fact]
    public void Children_KeepCreationOrder()
    {
        foreach (var name in new[] { "z", "a", "m" })
        {
            _dom0.Write("/o/" + name, name);
        }

        Assert.Equal(["z", "a", "m"], _dom0.Directory("/o"));
    }

    [Fact]
    public void RelativePaths_AreUnderTheConnectionsDomain()
    {
        _dom0.Write("name", "Domain-0");
        Assert.Equal("Domain-0", _dom0.Read("/local/domain/0/name"));
        var domU = new StoreClient(_dom0.Store, domId: 3, privileged: false);
        _dom0.Ok(XsMessageType.Mkdir, 0, "/local/domain/3");
        _dom0.Ok(XsMessageType.SetPerms, 0, "/local/domain/3", "n3");
        domU.Write("data/x", "1");
        Assert.Equal("1", _dom0.Read("/local/domain/3/data/x"));
    }

    [Fact]
    public void Read_Missing_IsENOENT_AndBadPaths_AreEINVAL()
    {
        _dom0.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/nope");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Read, 0, "/bad//path");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Read, 0, "/bad path");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Read, 0, "@introduceDomain");
        // One argument means exactly one nul, at the end.
        Assert.Equal(XsMessageType.Error, _dom0.RequestRaw(XsMessageType.Read, 0, "/tool"u8.ToArray()).Header.Type);
        Assert.Equal(XsMessageType.Error, _dom0.RequestRaw(XsMessageType.Read, 0, "/tool\0x\0"u8.ToArray()).Header.Type);
        Assert.Equal(XsMessageType.Error, _dom0.RequestRaw(XsMessageType.Write, 0, "/no-nul"u8.ToArray()).Header.Type);
    }

    [Fact]
    public void Mkdir_IsIdempotent()
    {
        _dom0.Ok(XsMessageType.Mkdir, 0, "/d/e");
        _dom0.Write("/d/e", "keep");
        _dom0.Ok(XsMessageType.Mkdir, 0, "/d/e");
        Assert.Equal("keep", _dom0.Read("/d/e"));
    }

    [Fact]
    public void Rm_IsRecursive_AndToleratesMissingLeaf()
    {
        _dom0.Write("/r/a/b", "1");
        _dom0.Write("/r/a/c", "2");
        _dom0.Write("/r/keep", "3");
        _dom0.Ok(XsMessageType.Rm, 0, "/r/a");
        Assert.Equal(["keep"], _dom0.Directory("/r"));
        _dom0.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/r/a/b");
        _dom0.Ok(XsMessageType.Rm, 0, "/r/gone");
        _dom0.Fails(XsError.ENOENT, XsMessageType.Rm, 0, "/r/gone/deeper");
        _dom0.Fails(XsError.EINVAL, XsMessageType.Rm, 0, "/");
        var before = _dom0.Store.NodeCount;
        _dom0.Ok(XsMessageType.Rm, 0, "/r");
        Assert.Equal(before - 2, _dom0.Store.NodeCount);
    }

    [Fact]
    public void Directory_TooLargeForOneReply_IsE2BIG_ButDirectoryPartPagesThroughIt()
    {
        var names = Enumerable.Range(0, 300).Select(i => $"child-with-a-long-name-{i:D4}").ToList();
        foreach (var name in names)
        {
            _dom0.Ok(XsMessageType.Mkdir, 0, "/big/" + name);
        }

        _dom0.Fails(XsError.E2BIG, XsMessageType.Directory, 0, "/big");

        var collected = new List<string>();
        var offset = 0;
        string? generation = null;
        for (var round = 0; round < 20; round++)
        {
            var reply = _dom0.Request(XsMessageType.DirectoryPart, 0, "/big", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(XsMessageType.DirectoryPart, reply.Header.Type);
            Assert.True(reply.Payload.Length <= XsHeader.PayloadMax);
            var parts = reply.Text.Split('\0');
            generation ??= parts[0];
            Assert.Equal(generation, parts[0]);
            var children = parts[1..].TakeWhile(p => p.Length > 0).ToList();
            collected.AddRange(children);
            offset += children.Sum(c => c.Length + 1);
            // A complete list ends with an empty string: two nuls in a row.
            if (reply.Text.EndsWith("\0\0", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.Equal(names, collected);
        var past = _dom0.Request(XsMessageType.DirectoryPart, 0, "/big", "999999");
        Assert.Equal(generation + "\0\0", past.Text);
        _dom0.Fails(XsError.EINVAL, XsMessageType.DirectoryPart, 0, "/big");
    }

    [Fact]
    public void UnknownAndReplyOnlyTypes_AreENOSYS()
    {
        foreach (var type in new uint[] { 15, 16, 20, 23, 1000, 0xffff })
        {
            _dom0.Fails(XsError.ENOSYS, (XsMessageType)type, 0, "/x");
        }
    }

    [Fact]
    public void HeaderLengthMismatch_IsEINVAL_NotACrash()
    {
        var payload = "/tool\0"u8.ToArray();
        _dom0.Store.Process(_dom0.Connection, new XsHeader(XsMessageType.Read, 9, 0, 99), payload);
        var reply = Assert.Single(_dom0.Sink.Messages);
        Assert.Equal(XsMessageType.Error, reply.Header.Type);
    }

    [Fact]
    public void RandomRequests_AlwaysGetExactlyOneReply()
    {
        var random = new Random(42);
        for (var i = 0; i < 3000; i++)
        {
            var payload = new byte[random.Next(0, 40)];
            random.NextBytes(payload);
            if (random.Next(2) == 0 && payload.Length > 2)
            {
                payload[0] = (byte)'/';
            }

            var type = (XsMessageType)random.Next(0, 25);
            var tx = random.Next(4) == 0 ? (uint)random.Next(0, 3) : 0u;
            _dom0.RequestRaw(type, tx, payload);
            _dom0.Sink.TakeEvents();
        }

        Assert.Equal(["xenstored"], _dom0.Directory("/tool"));
    }
}
