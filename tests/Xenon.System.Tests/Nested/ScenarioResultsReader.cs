using System.Globalization;

namespace Xenon.System.Tests.Nested;

/// <summary>Reads the files run-scenarios.sh leaves per scenario: NAME.rc (exit status),
/// NAME.out (output), NAME.time (seconds). A scenario whose files are damaged gets a result that
/// says so rather than being dropped, so its test fails with the reason.</summary>
public static class ScenarioResultsReader
{
    public const int DamagedExitCode = -1;

    public static Dictionary<string, ScenarioResult> Read(string resultsDir)
    {
        var results = new Dictionary<string, ScenarioResult>(StringComparer.Ordinal);
        if (!Directory.Exists(resultsDir))
        {
            return results;
        }
        foreach (string rcFile in Directory.EnumerateFiles(resultsDir, "*.rc"))
        {
            string name = Path.GetFileNameWithoutExtension(rcFile);
            results[name] = ReadOne(resultsDir, name);
        }
        return results;
    }

    public static ScenarioResult ReadOne(string resultsDir, string name)
    {
        string output = ReadOrEmpty(Path.Combine(resultsDir, name + ".out"));
        string rcText = ReadOrEmpty(Path.Combine(resultsDir, name + ".rc")).Trim();
        string timeText = ReadOrEmpty(Path.Combine(resultsDir, name + ".time")).Trim();

        if (!int.TryParse(rcText, NumberStyles.None, CultureInfo.InvariantCulture, out int rc))
        {
            rc = DamagedExitCode;
            output += $"\n[harness] exit status file holds '{rcText}', not a number";
        }
        TimeSpan duration = TimeSpan.Zero;
        if (double.TryParse(timeText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double secs)
            && secs is >= 0 and < 1e7)
        {
            duration = TimeSpan.FromSeconds(secs);
        }
        return new ScenarioResult(name, rc, output, duration);
    }

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
