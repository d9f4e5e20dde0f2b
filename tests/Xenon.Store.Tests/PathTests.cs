using Xenon.Store.Tree;

namespace Xenon.Store.Tests;

public class PathTests
{
    [Theory]
    [InlineData("/", true)]
    [InlineData("/local/domain/0/name", true)]
    [InlineData("/a-b_c@9", true)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("/a/", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a b", false)]
    [InlineData("/a.b", false)]
    [InlineData("/ä", false)]
    [InlineData("/a\u0001", false)]
    public void NodeNames_FollowXenstoreTxt(string path, bool valid) => Assert.Equal(valid, XsPath.IsValidNodeName(path));

    [Fact]
    public void LengthLimit_CountsBeyondTheDomainPrefix()
    {
        var rel = new string('x', XsPath.RelativeMax - 1);
        Assert.True(XsPath.IsValidNodeName("/" + rel));
        Assert.False(XsPath.IsValidNodeName("/" + rel + "yy"));
        // Under /local/domain/N/ the prefix does not count against the limit.
        Assert.True(XsPath.IsValidNodeName("/local/domain/12345/" + new string('x', XsPath.RelativeMax)));
        Assert.False(XsPath.IsValidNodeName("/local/domain/12345/" + new string('x', XsPath.RelativeMax + 1)));
    }

    [Fact]
    public void Canonicalize_ResolvesRelativePathsAgainstTheDomain()
    {
        Assert.Equal("/local/domain/3/device", XsPath.Canonicalize("device", "/local/domain/3"));
        Assert.Equal("/abs", XsPath.Canonicalize("/abs", "/local/domain/3"));
        Assert.Equal("@releaseDomain", XsPath.Canonicalize("@releaseDomain", "/local/domain/3"));
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a", "/a/b", false)]
    [InlineData("/anything", "/", true)]
    public void IsChildOrSelf_MatchesCXenstored(string child, string parent, bool expected) =>
        Assert.Equal(expected, XsPath.IsChildOrSelf(child, parent));

    [Theory]
    [InlineData("n0", 0u, XsPermAccess.None)]
    [InlineData("r5", 5u, XsPermAccess.Read)]
    [InlineData("w65535", 65535u, XsPermAccess.Write)]
    [InlineData("b7", 7u, XsPermAccess.Read | XsPermAccess.Write)]
    public void Perms_ParseAndFormat(string text, uint domId, XsPermAccess access)
    {
        Assert.True(XsPerm.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out var perm));
        Assert.Equal(new XsPerm(domId, access), perm);
        Assert.Equal(text, perm.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("r")]
    [InlineData("x1")]
    [InlineData("r-1")]
    [InlineData("r1a")]
    [InlineData("r65536")]
    public void Perms_RejectMalformed(string text) =>
        Assert.False(XsPerm.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out _));
}
