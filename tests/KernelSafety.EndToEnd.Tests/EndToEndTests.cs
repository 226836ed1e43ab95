using System.IO.Compression;
using System.Text;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>
/// The users' workflow end to end with the real tools on copies of samples/LegacyBridge (see EndToEndWorkspace):
/// 1. pack KernelSafety.Analyzers (and KernelSafety.Runtime) with a unique version into a local feed;
/// 2. `dotnet build` reports exactly the diagnostics of <see cref="ExpectedDiagnostics.All"/> (all warnings: the sample's
///    .editorconfig raises KS0007), and fails in enforce mode (package defaults + enforce: all errors);
/// 3. `dotnet format analyzers` fixes everything that has a fix; the fixed copy builds with warnings as errors and
///    no KS warning or error (KS0007 has no fix and stays at its default severity, info);
/// 4. against loopback peers the original sends 80 bytes with a stale tail (managed) or reaches the byte-swapped
///    port (native); the fixed copy sends exactly the bytes written, to the right port.
/// Analyzer loading failures (CS8032, CS9057, AD0001) fail every build check.
/// </summary>
public sealed partial class EndToEndTests(EndToEndWorkspace workspace, ITestOutputHelper output) : IClassFixture<EndToEndWorkspace>
{
    private const string FirstMessage = "previous writer: password=hunter2 token=0123456789abcdef";
    private const string SecondMessage = "hello";

    [Fact]
    public async Task Pack_ProducesTheAnalyzerPackageAndTheRuntimePackage()
    {
        var packages = await workspace.Pack;
        Log(string.Join("\n", packages.Select(Path.GetFileName)));

        var analyzers = Assert.Single(packages, p => Path.GetFileName(p) == $"KernelSafety.Analyzers.{workspace.PackageVersion}.nupkg");
        Assert.Contains(packages, p => Path.GetFileName(p) == $"KernelSafety.Runtime.{workspace.PackageVersion}.nupkg");

        using var archive = ZipFile.OpenRead(analyzers);
        var entries = archive.Entries.Select(e => e.FullName).ToHashSet();
        Log(string.Join("\n", entries.Order()));
        Assert.Contains("analyzers/dotnet/cs/KernelSafety.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/KernelSafety.CodeFixes.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        foreach (var folder in new[] { "build", "buildTransitive" })
        {
            Assert.Contains($"{folder}/KernelSafety.Analyzers.props", entries);
            Assert.Contains($"{folder}/KernelSafety.Analyzers.targets", entries);
        }

        Assert.Contains("build/KernelSafety.enforce.globalconfig", entries);
        Assert.Contains("README.md", entries);
        Assert.Contains("icon.png", entries);

        using var nuspec = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var metadata = await nuspec.ReadToEndAsync();
        Assert.Contains("<developmentDependency>true</developmentDependency>", metadata);
        Assert.Contains("<license type=\"expression\">MIT</license>", metadata);
        Assert.Contains("<readme>README.md</readme>", metadata);
        Assert.Contains("<icon>icon.png</icon>", metadata);
        Assert.DoesNotContain("<dependencies>", metadata);
    }

    [Fact]
    public async Task Build_ReportsExactlyTheExpectedDiagnosticsOfEveryLandedRule()
    {
        var build = await workspace.OriginalBuild;
        Log(build.Process.ToString());
        AssertAnalyzersLoaded(build);
        Assert.True(build.Process.ExitCode == 0, "the sample must build (warnings are not errors)");

        // The sample's .editorconfig raises KS0007 (a suggestion by default) so that the build shows every rule.
        AssertExpectedDiagnostics(build, _ => "warning");

        // What a user sees on the console: every rule reported, with file and line.
        var console = BuildDiagnostics.ReadConsole(build.Process.Output).Where(d => d.Id.StartsWith("KS", StringComparison.Ordinal)).ToList();
        var reported = ResolveExpected().Where(e => build.KernelSafety.Any(d => d.Id == e.Expected.Rule && d.File == e.Expected.File && d.Line == e.Line));
        foreach (var expected in reported)
        {
            Assert.Contains(console, d => d.Id == expected.Expected.Rule && d.File == expected.Expected.File && d.Line == expected.Line && d.Level == "warning");
        }
    }

    [Fact]
    public async Task Build_ReportsNothingInAFileMarkedGeneratedInEditorConfig()
    {
        // The real compiler hands `generated_code = true` to the analyzers: the native port is generated code here, so
        // its findings go, and the managed port's stay, exactly.
        await workspace.Pack;
        var directory = workspace.PrepareCopy("generated", keepSampleEditorConfig: true);
        File.AppendAllText(Path.Combine(directory, ".editorconfig"), $"\n[{ExpectedDiagnostics.Native}]\ngenerated_code = true\n");
        var build = await workspace.BuildAsync(directory, "build (one file marked generated)");
        Log(build.Process.ToString());
        AssertAnalyzersLoaded(build);
        Assert.True(build.Process.ExitCode == 0, "the sample must build (warnings are not errors)");

        var expected = ResolveExpected()
            .Where(e => e.Expected.File == ExpectedDiagnostics.Managed && LandedRules.Analyzers.Contains(e.Expected.Rule))
            .Select(e => $"{e.Expected.File}({e.Line}): {e.Expected.Rule}")
            .Distinct()
            .Order(StringComparer.Ordinal);
        var actual = build.KernelSafety.Select(d => $"{d.File}({d.Line}): {d.Id}").Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task EnforceMode_TurnsEveryRuleIntoAnErrorAndFailsTheBuild()
    {
        var build = await workspace.EnforceBuild;
        Log(build.Process.ToString());
        AssertAnalyzersLoaded(build);
        if (LandedRules.Analyzers.Count == 0)
        {
            Log("No KS analyzer has landed yet: nothing to enforce.");
            return;
        }

        Assert.NotEqual(0, build.Process.ExitCode);
        AssertExpectedDiagnostics(build, _ => "error");
    }

    [Fact]
    public async Task FormatAnalyzers_FixesEverythingThatHasAFix_AndTheFixedSampleBuildsCleanWithWarningsAsErrors()
    {
        var passes = await workspace.Format;
        if (passes is null)
        {
            Log("No KS code fix has landed yet: dotnet format analyzers has nothing to fix.");
        }
        else
        {
            foreach (var format in passes)
            {
                Log(format.ToString());
                Assert.True(format.ExitCode == 0, $"dotnet format analyzers failed, or still found something to fix after its last run:\n{format}");
                Assert.Empty(BuildDiagnostics.LoadFailures(format.Output));
            }

            // "Unable to fix KS0005. Code fix ... didn't return a Fix All action.": only the table's NoFix gaps may say that.
            var unable = passes.Last().Output.Split('\n').Where(l => l.Contains("Unable to fix KS", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
            var noFix = ExpectedDiagnostics.KnownGaps.Where(g => g.Kind == GapKind.NoFix).Select(g => g.Rule).ToHashSet();
            Assert.All(unable, line => Assert.Contains(noFix, rule => line.Contains(rule, StringComparison.Ordinal)));
        }

        var build = await workspace.FixedBuild;
        Log(build.Process.ToString());
        Log(await DiffAsync(Path.Combine(workspace.Root, "original"), build.Directory));
        AssertAnalyzersLoaded(build);
        Assert.True(build.Process.ExitCode == 0, "the fixed sample must build with warnings as errors");

        // Everything that has a fix is gone; what remains is the rules without a fix (KS0007, at its default
        // severity) and the table's NoFix gaps, no more often than the table lists them per file.
        var remaining = build.KernelSafety.ToList();
        Log("KS diagnostics left after the fixes:\n" + string.Join("\n", remaining));
        Assert.DoesNotContain(remaining, d => d.Level == "error");
        var allowed = ExpectedDiagnostics.KnownGaps.Where(g => g.Kind == GapKind.NoFix)
            .Select(g => (g.Rule, g.File))
            .Concat(ExpectedDiagnostics.All.Where(e => LandedRules.Analyzers.Contains(e.Rule) && !LandedRules.Fixes.Contains(e.Rule)).Select(e => (e.Rule, e.File)))
            .GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        foreach (var group in remaining.Where(d => d.Level == "warning").GroupBy(d => (d.Id, d.File)))
        {
            Assert.True(
                allowed.TryGetValue(group.Key, out var count) && group.Count() <= count,
                $"left after dotnet format (has a fix, or more than the table's gaps): {string.Join("; ", group)}");
            Log($"known gap left as a warning: {string.Join("; ", group)}");
        }

        // KS0007 has no fix: what is left of it stays a suggestion (SARIF "note") at the package's default severity.
        // (How many are left depends on the other fixes: today the native one disappears once KS0002's fix adds an
        // early return after the failed connect.)
        var connectionPerWrite = remaining.Where(d => d.Id == "KS0007").ToList();
        Log($"KS0007 left after the fixes: {connectionPerWrite.Count} of {ExpectedDiagnostics.All.Count(e => e.Rule == "KS0007")}");
        Assert.All(connectionPerWrite, d => Assert.Equal("note", d.Level));
    }

    [Fact]
    public async Task Run_OriginalManaged_SendsEightyBytesWhoseTailIsStale()
    {
        var build = await workspace.OriginalBuild;
        Assert.True(build.Process.ExitCode == 0, build.Process.ToString());

        await using var peer = LoopbackPeer.Start();
        var run = await RunSampleAsync(build, "managed", peer.Port);
        var payloads = await peer.WaitForPayloadsAsync(2, TimeSpan.FromSeconds(5));

        Assert.Equal(2, payloads.Count);
        Assert.All(payloads, p => Assert.Equal(80, p.Length));
        var first = Encoding.UTF8.GetBytes(FirstMessage);
        var second = payloads[1];
        Assert.Equal(Encoding.UTF8.GetBytes(SecondMessage), second[..SecondMessage.Length]);

        // The tail of the second write is the first writer's data: "password=hunter2" leaks to this peer.
        Assert.Equal(first[SecondMessage.Length..], second[SecondMessage.Length..first.Length]);
        Log($"second payload: {Printable(second)}\n{run}");
    }

    [Fact]
    public async Task Run_OriginalNative_ConnectsToTheByteSwappedPort()
    {
        var build = await workspace.OriginalBuild;
        Assert.True(build.Process.ExitCode == 0, build.Process.ToString());

        var (right, swapped) = LoopbackPeer.StartPair();
        await using (right)
        await using (swapped)
        {
            var run = await RunSampleAsync(build, "native", right.Port);
            var wrong = await swapped.WaitForPayloadsAsync(2, TimeSpan.FromSeconds(5));
            Log($"right port {right.Port}: {right.Payloads.Count} connections; swapped port {swapped.Port}: {wrong.Count} connections\n{run}");

            // The host-order port in sin_port reaches the byte-swapped port: the right peer gets nothing.
            Assert.Empty(right.Payloads);
            Assert.Equal(2, wrong.Count);
            Assert.All(wrong, p => Assert.Equal(80, p.Length));
        }
    }

    [Fact]
    public async Task Run_FixedManaged_SendsExactlyTheBytesWritten()
        => await RunFixedAsync("managed");

    [Fact]
    public async Task Run_FixedNative_SendsExactlyTheBytesWrittenToTheRightPort()
        => await RunFixedAsync("native");

    private async Task RunFixedAsync(string mode)
    {
        // The fixed device is right only once the rules it needs report its lines and fix them.
        var original = await workspace.OriginalBuild;
        var file = mode == "managed" ? ExpectedDiagnostics.Managed : ExpectedDiagnostics.Native;
        var missing = ResolveExpected()
            .Where(e => e.Expected.File == file && ExpectedDiagnostics.FixesNeededForCorrectRun[mode].Contains(e.Expected.Rule))
            .Where(e => !LandedRules.Fixable.Contains(e.Expected.Rule)
                || !original.KernelSafety.Any(d => d.Id == e.Expected.Rule && d.File == file && d.Line == e.Line))
            .Select(e => $"{e.Expected.Rule} at {file}:{e.Line}")
            .ToList();
        var build = await workspace.FixedBuild;
        Assert.True(build.Process.ExitCode == 0, build.Process.ToString());

        var (right, swapped) = LoopbackPeer.StartPair();
        await using (right)
        await using (swapped)
        {
            var run = await RunSampleAsync(build, mode, right.Port);
            var payloads = await right.WaitForPayloadsAsync(2, TimeSpan.FromSeconds(missing.Count > 0 ? 1 : 5));
            Log($"{mode} fixed: right port {right.Port}: [{string.Join(", ", payloads.Select(Printable))}]; swapped port: {swapped.Payloads.Count} connections\n{run}");
            if (mode == "native" && !missing.Any(m => m.StartsWith("KS0003", StringComparison.Ordinal)))
            {
                // The port is right as soon as KS0003 is reported and fixed, whatever else is missing.
                Assert.Equal(2, payloads.Count);
                Assert.Empty(swapped.Payloads);
                Assert.Equal(Encoding.UTF8.GetBytes(FirstMessage), payloads[0][..FirstMessage.Length]);
                Assert.Equal(Encoding.UTF8.GetBytes(SecondMessage), payloads[1][..SecondMessage.Length]);
            }

            if (missing.Count > 0)
            {
                Log($"NOT CHECKED YET: the fixed {mode} device needs these reported and fixed: {string.Join(", ", missing)} ({LandedRules.Describe()}).");
                return;
            }

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(2, payloads.Count);
            Assert.Equal(Encoding.UTF8.GetBytes(FirstMessage), payloads[0]);
            Assert.Equal(Encoding.UTF8.GetBytes(SecondMessage), payloads[1]);
            Assert.Empty(swapped.Payloads);
        }
    }

    private async Task<ProcessResult> RunSampleAsync(BuildRun build, string mode, ushort port)
    {
        var result = await ProcessRunner.DotNetAsync(
            build.Directory,
            EndToEndWorkspace.RunTimeout,
            workspace.Environment,
            build.BinaryPath, mode, port.ToString(System.Globalization.CultureInfo.InvariantCulture), FirstMessage, SecondMessage);
        workspace.Record($"run {Path.GetFileName(build.Directory)} {mode}", result.Duration);
        return result;
    }

    private void AssertAnalyzersLoaded(BuildRun build)
    {
        var failures = BuildDiagnostics.LoadFailures(build.Process.Output)
            .Concat(build.Diagnostics.Where(d => d.Id is "CS8032" or "CS9057" or "AD0001").Select(d => d.ToString()))
            .ToList();
        Assert.True(failures.Count == 0, "analyzers failed to load or crashed:\n" + string.Join("\n", failures));
    }

    /// <summary>For every landed rule: the KS diagnostics of the build are exactly the table's, at the given level.</summary>
    private void AssertExpectedDiagnostics(BuildRun build, Func<string, string> level)
    {
        var expected = ResolveExpected();
        var actual = build.KernelSafety.ToList();
        var report = new StringBuilder($"{LandedRules.Describe()}\n");
        var problems = new List<string>();
        foreach (var rule in expected.Select(e => e.Expected.Rule).Distinct().Order())
        {
            var want = expected.Where(e => e.Expected.Rule == rule).Select(e => (e.Expected.File, e.Line)).ToHashSet();
            var got = actual.Where(d => d.Id == rule).Select(d => (d.File, d.Line)).ToHashSet();
            var landed = LandedRules.Analyzers.Contains(rule);
            report.AppendLine($"{rule} ({(landed ? "landed" : "not landed")}): expected [{string.Join(", ", want.Order())}] got [{string.Join(", ", got.Order())}]");
            if (landed)
            {
                var unexpected = got.Except(want).ToList();
                var missing = want.Except(got).ToList();
                var tolerated = missing.Where(m => expected.Any(e => e.Expected.Rule == rule && e.Expected.File == m.File && e.Line == m.Line
                    && ExpectedDiagnostics.KnownGaps.Any(g => g.Kind == GapKind.NotReported && g.Matches(e.Expected)))).ToList();
                foreach (var gap in tolerated)
                {
                    report.AppendLine($"  known gap (not reported): {rule} {gap.File}:{gap.Line}");
                }

                missing = missing.Except(tolerated).ToList();
                if (missing.Count > 0 || unexpected.Count > 0)
                {
                    problems.Add($"{rule}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
                }
            }
        }

        foreach (var gap in ExpectedDiagnostics.KnownGaps.Where(g => g.Kind == GapKind.NotReported))
        {
            var line = expected.First(e => gap.Matches(e.Expected)).Line;
            if (actual.Any(d => d.Id == gap.Rule && d.File == gap.File && d.Line == line))
            {
                report.AppendLine($"gap closed, remove it from ExpectedDiagnostics.KnownGaps: {gap}");
            }
        }

        foreach (var unknown in actual.Where(d => !expected.Any(e => e.Expected.Rule == d.Id)))
        {
            problems.Add($"unexpected {unknown}");
        }

        foreach (var wrongLevel in actual.Where(d => d.Level != level(d.Id)))
        {
            problems.Add($"{wrongLevel} should be '{level(wrongLevel.Id)}'");
        }

        Log(report.ToString());
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n\nall KS diagnostics:\n" + string.Join("\n", actual));
    }

    private IReadOnlyList<(ExpectedDiagnostic Expected, int Line)> ResolveExpected()
        => ExpectedDiagnostics.All.Select(e =>
        {
            var lines = File.ReadAllLines(Path.Combine(workspace.SampleSource, e.File));
            var matches = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(e.LineCode, StringComparison.Ordinal)).ToList();
            Assert.True(matches.Count == 1, $"'{e.LineCode}' must be on exactly one line of {e.File} (found {matches.Count})");
            return (e, matches[0] + 1);
        }).ToList();

    private async Task<string> DiffAsync(string original, string fixedCopy)
    {
        var diff = new StringBuilder("What dotnet format changed:\n");
        foreach (var file in new[] { ExpectedDiagnostics.Managed, ExpectedDiagnostics.Native })
        {
            var result = await ProcessRunner.RunAsync(
                "git", ["diff", "--no-index", "--no-color", Path.Combine(original, file), Path.Combine(fixedCopy, file)],
                workspace.Root, TimeSpan.FromSeconds(30));
            diff.AppendLine(result.StdOut);
        }

        return diff.ToString();
    }

    private static string Printable(byte[] bytes)
        => "\"" + string.Concat(bytes.Select(b => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}")) + "\"";

    private void Log(string text)
    {
        output.WriteLine(text);
        output.WriteLine("timings so far:\n" + workspace.DescribeTimings());
    }
}
