using Xenon.Machine.Backend;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

/// <summary>xl.cfg <c>accel</c> (Xenon's key, as QEMU's -accel): read, overridable on the command line, carried into the
/// domain spec, refused by name when unknown.</summary>
public sealed class AccelKeyTests : IDisposable
{
    private readonly TempConfigDir _dir = new();

    public AccelKeyTests() => _dir.File("boot/vmlinuz", "not really a kernel");

    public void Dispose() => _dir.Dispose();

    private DomainConfig Load(string text, params string[] overrides) =>
        DomainConfigReader.Load(_dir.File("dom.cfg", "name='a'\nkernel='boot/vmlinuz'\n" + text), overrides);

    [Theory]
    [InlineData("", AccelMode.Auto)]
    [InlineData("accel = \"auto\"\n", AccelMode.Auto)]
    [InlineData("accel = \"kvm\"\n", AccelMode.Kvm)]
    [InlineData("accel = 'soft'\n", AccelMode.Soft)]
    public void IsReadWithAutoAsDefault(string line, AccelMode expected)
    {
        var d = Load(line);
        Assert.Equal(expected, d.Accel);
        Assert.Empty(d.Warnings);
        Assert.Equal(expected, DomainSpecFactory.FromConfig(d, 3).Accel);
    }

    [Fact]
    public void TheCommandLineOverridesTheFile()
    {
        Assert.Equal(AccelMode.Soft, Load("accel = \"kvm\"\n", "accel=\"soft\"").Accel);
        Assert.Equal(AccelMode.Kvm, Load("", "accel=\"kvm\"").Accel);
    }

    [Theory]
    [InlineData("accel = \"tcg\"\n", "accel: unknown accelerator \"tcg\"; expected \"auto\", \"kvm\" or \"soft\"")]
    [InlineData("accel = \"KVM\"\n", "accel: unknown accelerator \"KVM\"")]
    [InlineData("accel = [ \"kvm\" ]\n", "accel: expected a single value, got a list")]
    public void UnknownValuesAreRefusedByName(string line, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Load(line));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSpecCarriesItThroughJson()
    {
        var spec = DomainSpecFactory.FromConfig(Load("accel = \"soft\"\n"), 3);
        var json = Xenon.Domain.Process.DomainSpecJson.Serialize(spec);
        Assert.Equal(AccelMode.Soft, Xenon.Domain.Process.DomainSpecJson.Deserialize(json, "test").Accel);
        // A spec written before the key existed (a saved domain) reads as auto.
        var old = json.Replace("\"accel\"", "\"accel_unknown_to_old_writers\"", StringComparison.Ordinal);
        Assert.Equal(AccelMode.Auto, Xenon.Domain.Process.DomainSpecJson.Deserialize(old, "test").Accel);
    }
}
