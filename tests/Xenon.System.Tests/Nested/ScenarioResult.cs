namespace Xenon.System.Tests.Nested;

/// <summary>What one full-system scenario script did: its exit status, everything it printed
/// (the guest console included) and how long it ran.</summary>
public sealed record ScenarioResult(string Name, int ExitCode, string Output, TimeSpan Duration)
{
    /// <summary>Exit status a scenario uses to say it could not run here (automake's convention).</summary>
    public const int SkipExitCode = 77;

    /// <summary>Exit status run-scenarios.sh records when a scenario exceeded its time limit.</summary>
    public const int TimeoutExitCode = 124;

    /// <summary>The output split into lines, carriage returns (serial consoles send CR LF) removed.</summary>
    public IReadOnlyList<string> Lines { get; } = Output.Replace("\r", "", StringComparison.Ordinal).Split('\n');

    public bool Contains(string text) => Output.Contains(text, StringComparison.Ordinal);

    /// <summary>The last <paramref name="count"/> lines, for failure messages.</summary>
    public string Tail(int count = 40)
    {
        int from = Math.Max(0, Lines.Count - count);
        return string.Join('\n', Lines.Skip(from));
    }

    public string Describe() =>
        $"scenario '{Name}' exited {ExitCode}{(ExitCode == TimeoutExitCode ? " (timed out)" : "")} after {Duration.TotalSeconds:F1} s; "
        + $"last output lines:\n{Tail()}";

    public void AssertExit(int expected)
    {
        if (ExitCode != expected)
        {
            Assert.Fail($"expected exit status {expected}, got {ExitCode}. {Describe()}");
        }
    }

    /// <summary>Fails unless the scenario's <c>KEY=</c> line has exactly <paramref name="expected"/> (or, with
    /// <paramref name="prefix"/>, starts with it); <paramref name="what"/> says what the value is.</summary>
    public void AssertValue(string key, string expected, string what, bool prefix = false)
    {
        string actual = ValueOf(key);
        bool ok = prefix ? actual.StartsWith(expected, StringComparison.Ordinal) : actual == expected;
        if (!ok)
        {
            Assert.Fail($"{what}: {key}='{actual}', expected {(prefix ? "a value starting with " : "")}'{expected}'. {Describe()}");
        }
    }

    public void AssertContains(string marker)
    {
        if (!Contains(marker))
        {
            Assert.Fail($"output lacks '{marker}'. {Describe()}");
        }
    }

    /// <summary>The value of the first line that starts with <c>KEY=</c>, or fails the test.
    /// Only line starts count: the echoed domain config holds the command text too.</summary>
    public string ValueOf(string key)
    {
        string prefix = key + "=";
        foreach (string line in Lines)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line[prefix.Length..].Trim();
            }
        }
        Assert.Fail($"output has no '{prefix}' line. {Describe()}");
        return "";
    }
}
