using System.Text;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

/// <summary>
/// Hostile input: random bytes and mutated configs through the parser, the domain reader and
/// the JSON writer; random argument vectors through create's parser. Only the documented error
/// types may escape. Seeds are fixed so a failure reproduces; it prints the seed and input.
/// </summary>
public class ParserFuzzTests
{
    private const string Seed = """
        # a realistic config
        name = "web"; type = "pvh"
        memory = 512
        maxmem = 0x400
        vcpus = 2
        kernel = "/boot/vmlinuz"
        extra = 'console=hvc0 \t\x41\101'
        extra += " quiet"
        disk = [ 'file:/a.img,xvda,w',
                 "file:/b.img,xvdb,r", ]
        cpus = [ [ "0-1" ], "2" ]
        on_crash = "preserve"
        uuid = "01234567-89ab-cdef-0123-456789abcdef"
        """;

    private const string Alphabet = "=+[],;#'\"\\\n\r\t xnqa0179_-/.\0\u00e9";

    [Fact]
    public void RandomBytesOnlyEverRaiseConfigException()
    {
        var random = new Random(20240601);
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            RunAll(Encoding.Latin1.GetString(bytes), iteration);
        }
    }

    [Fact]
    public void MutatedConfigsOnlyEverRaiseConfigException()
    {
        var random = new Random(7);
        var accepted = 0;
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            var text = new StringBuilder(Seed);
            var edits = random.Next(1, 6);
            for (var e = 0; e < edits; e++)
            {
                var at = random.Next(0, text.Length + 1);
                switch (random.Next(3))
                {
                    case 0:
                        text.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                    case 1 when at < text.Length:
                        text.Remove(at, Math.Min(random.Next(1, 8), text.Length - at));
                        break;
                    default:
                        if (at < text.Length)
                        {
                            text[at] = Alphabet[random.Next(Alphabet.Length)];
                        }

                        break;
                }
            }

            accepted += RunAll(text.ToString(), iteration) ? 1 : 0;
        }

        // Some mutations are harmless (in comments, in strings): the happy path must be exercised too.
        Assert.True(accepted > 100, $"only {accepted} mutated configs were accepted end to end");
    }

    [Fact]
    public void RandomArgumentVectorsOnlyEverRaiseUsageException()
    {
        string[] pieces = ["-", "--", "-f", "-F", "-cnq", "--dryrun", "--defconfig", "--defconfig=", "--x", "a=b", "foo.cfg", "", "-fz", "-h", "=", "-\u0000"];
        var random = new Random(99);
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            var args = new string[random.Next(0, 6)];
            for (var i = 0; i < args.Length; i++)
            {
                args[i] = pieces[random.Next(pieces.Length)];
            }

            try
            {
                var o = CreateOptions.Parse(args);
                Assert.True(o.Help || o.ConfigFile is not null);
            }
            catch (UsageException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration}: args [{string.Join(", ", args.Select(a => $"\"{a}\""))}] threw {e}");
            }
        }
    }

    private static bool RunAll(string text, int iteration)
    {
        try
        {
            var settings = XlConfigParser.Parse(text, "/fuzz/dom.cfg");
            XlConfigParser.ApplyOverrides(settings, [text]);
            var domain = DomainConfigReader.Read(settings, "/fuzz/dom.cfg", checkFiles: false);
            Assert.False(string.IsNullOrEmpty(DomainConfigJson.ToJson(domain)));
            return true;
        }
        catch (ConfigException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Reason), $"iteration {iteration}: empty reason");
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"iteration {iteration}: input {Escape(text)} threw {e}");
            return false;
        }
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c is >= ' ' and < (char)0x7f and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return sb.Append('"').ToString();
    }
}
