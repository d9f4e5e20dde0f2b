using System.Diagnostics;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.State;

/// <summary>The step profile of a restore: marks go to the thread's current profile (none: nothing happens), scopes
/// nest, steps are timed from the previous one, and a summary carries the steps in brackets.</summary>
public sealed partial class RestoreProfileTests
{
    /// <summary>A step's JIT note: this test assembly itself is compiled as it runs, so any step may have one.</summary>
    private const string Jit = @"(?: \(JIT \d+, \d+\.\d ms\))?";

    [GeneratedRegex(@"^a \d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?, b \d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?$")]
    private static partial Regex TwoSteps();

    [Fact]
    public void AMarkWithoutAProfileDoesNothing()
    {
        Assert.Null(RestoreProfile.Current);
        RestoreProfile.Mark("nobody listens");
        Assert.Null(RestoreProfile.Current);
    }

    [Fact]
    public void MarksGoToTheCurrentProfileInOrderUntilTheScopeEnds()
    {
        var profile = new RestoreProfile();
        using (profile.Enter())
        {
            Assert.Same(profile, RestoreProfile.Current);
            RestoreProfile.Mark("a");
            RestoreProfile.Mark("b");
        }
        RestoreProfile.Mark("after the scope");
        Assert.Null(RestoreProfile.Current);
        Assert.Matches(TwoSteps(), profile.ToString());
    }

    [Fact]
    public void NestedScopesGiveTheOuterProfileBack()
    {
        var outer = new RestoreProfile();
        var inner = new RestoreProfile();
        using (outer.Enter())
        {
            using (inner.Enter()) RestoreProfile.Mark("inside");
            RestoreProfile.Mark("outside");
        }
        Assert.StartsWith("inside ", inner.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("outside", inner.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("outside ", outer.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("inside", outer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheFirstStepIsTimedFromTheGivenStart()
    {
        // Started 200 ms ago (on "another thread"): the first step carries that wait.
        var profile = new RestoreProfile(Stopwatch.GetTimestamp() - Stopwatch.Frequency / 5);
        profile.Add("wake");
        double ms = double.Parse(profile.ToString().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ms >= 200, $"first step {ms} ms, expected at least 200");
    }

    [Fact]
    public void ASummaryNamesTheTotalAndTheStepsOnlyIfThereAreAny()
    {
        var empty = new RestoreProfile();
        Assert.True(empty.IsEmpty);
        Assert.Matches(@"^rtc \+\d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?$", empty.Summary("rtc"));

        var steps = new RestoreProfile();
        steps.Add("msix");
        Assert.False(steps.IsEmpty);
        Assert.Matches(@"^balloon \+\d+\.\d(?: \(JIT \d+, \d+\.\d ms\))? \[msix \d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?\]$", steps.Summary("balloon"));
    }

    [Fact]
    public void InnerProfilesAreBracketedAndNumberedWhenThereAreSeveral()
    {
        var a = new RestoreProfile();
        a.Add("cpuid");
        var b = new RestoreProfile();
        b.Add("sregs");
        var outer = new RestoreProfile();
        outer.AddInner("vcpus", a, b);
        outer.AddInner("platform", new RestoreProfile());
        var one = new RestoreProfile();
        one.Add("pic");
        outer.AddInner("again", one);
        Assert.Matches(@"^vcpus \d+\.\dJ \[0: cpuid \d+\.\dJ; 1: sregs \d+\.\dJ\], platform \d+\.\dJ, again \d+\.\dJ \[pic \d+\.\dJ\]$".Replace("J", Jit, StringComparison.Ordinal), outer.ToString());
    }

    [Fact]
    public void CodeCompiledDuringAStepIsCounted()
    {
        var profile = new RestoreProfile();
        using (profile.Enter())
        {
            // A dynamic method is always compiled by the JIT on first call, on this thread.
            var method = new DynamicMethod("answer", typeof(int), Type.EmptyTypes);
            var il = method.GetILGenerator();
            il.Emit(OpCodes.Ldc_I4, 42);
            il.Emit(OpCodes.Ret);
            Assert.Equal(42, ((Func<int>)method.CreateDelegate(typeof(Func<int>)))());
            RestoreProfile.Mark("compiled");
            RestoreProfile.Mark("nothing new");
        }
        Assert.Matches(@"^compiled \d+\.\d \(JIT \d+, \d+\.\d ms\), nothing new \d+\.\d(?: \(JIT \d+, \d+\.\d ms\))?$", profile.ToString());
        Assert.Contains("(JIT ", profile.Summary("step"), StringComparison.Ordinal);
    }
}
