using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public sealed class XlChannelSpecTests
{
    [Fact]
    public void ASocketChannelIsRead()
    {
        var c = XlChannelSpec.Parse("name=org.qemu.guest_agent.0, connection=socket, path=/run/ga.sock");
        Assert.Equal("org.qemu.guest_agent.0", c.Name);
        Assert.Equal("/run/ga.sock", c.Path);
    }

    [Fact]
    public void TheBackendMayNameDomainZero() =>
        Assert.Equal("x", XlChannelSpec.Parse("backend=Domain-0,name=x,connection=socket,path=/p").Name);

    [Theory]
    [InlineData("connection=socket, path=/p", "name= is required")]
    [InlineData("name=x, path=/p", "connection= is required")]
    [InlineData("name=x, connection=pty", "connection=pty is not supported")]
    [InlineData("name=x, connection=tcp, path=/p", "connection=tcp: expected socket")]
    [InlineData("name=x, connection=socket", "needs path=")]
    [InlineData("name=x, connection=socket, path=", "path: must not be empty")]
    [InlineData("name=, connection=socket, path=/p", "name: must not be empty")]
    [InlineData("name=a b, connection=socket, path=/p", "printable ASCII without spaces")]
    [InlineData("name=x, name=y, connection=socket, path=/p", "name: given twice")]
    [InlineData("name=x, connection=socket, path=/p, colour=red", "colour: unknown key")]
    [InlineData("name=x, connection=socket, path=/p, backend=dd", "driver domains are not supported")]
    [InlineData("name=x, socket", "socket: expected key=value")]
    public void MalformedEntriesSayWhatIsWrong(string spec, string expected)
    {
        var e = Assert.Throws<FormatException>(() => XlChannelSpec.Parse(spec));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"channel \"{spec}\"", e.Message, StringComparison.Ordinal);
    }
}
