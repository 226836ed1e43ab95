using System.Diagnostics;

namespace KernelSafety.EndToEnd.Tests;

/// <summary>The result of one `dotnet build` of a copy of the sample.</summary>
public sealed record BuildRun(ProcessResult Process, IReadOnlyList<BuildDiagnostic> Diagnostics, string Directory)
{
    public IEnumerable<BuildDiagnostic> KernelSafety => Diagnostics.Where(d => d.Id.StartsWith("KS", StringComparison.Ordinal));

    public string BinaryPath => Path.Combine(Directory, "bin", "Debug", "net10.0", "LegacyBridge.dll");
}

/// <summary>
/// The users' workflow on copies of samples/LegacyBridge outside the repository, with the real tools.
/// Every step runs once (lazily) and is shared by the tests that check it; each records its duration.
/// Layout under $TMPDIR/ks-e2e-&lt;ticks&gt;: feed/ (the packed .nupkg), packages/ (private NUGET_PACKAGES),
/// original/, enforce/, fixed/ (copies of the sample), editor/ (csharp-ls).
/// </summary>
public sealed class EndToEndWorkspace : IDisposable
{
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private readonly Lazy<Task<IReadOnlyList<string>>> pack;
    private readonly Lazy<Task<BuildRun>> originalBuild;
    private readonly Lazy<Task<BuildRun>> enforceBuild;
    private readonly Lazy<Task<IReadOnlyList<ProcessResult>?>> format;
    private readonly Lazy<Task<BuildRun>> fixedBuild;
    private readonly List<(string Step, TimeSpan Duration)> timings = [];

    public EndToEndWorkspace()
    {
        RepositoryRoot = FindRepositoryRoot();
        Root = Path.Combine(Path.GetTempPath(), $"ks-e2e-{DateTime.UtcNow.Ticks}");
        Directory.CreateDirectory(Root);
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        PackagesFolder = Directory.CreateDirectory(Path.Combine(Root, "packages")).FullName;

        // A unique version per run: a re-packed version would be served from a NuGet cache.
        PackageVersion = $"0.1.0-e2e.{DateTime.UtcNow.Ticks}";
        Environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = PackagesFolder };

        pack = new(PackAsync);
        originalBuild = new(() => BuildCopyAsync("original", keepSampleEditorConfig: true, "build (sample as is)"));
        enforceBuild = new(() => BuildCopyAsync("enforce", keepSampleEditorConfig: false, "build (enforce mode)", "-p:KernelSafetyMode=enforce"));
        format = new(FormatAsync);
        fixedBuild = new(BuildFixedAsync);

        // Two chains at once (each waits for the pack): build the sample as is, then in enforce mode; fix, then build
        // the fixed copy. The tests await the steps they check.
        _ = Task.Run(async () => { await originalBuild.Value; await enforceBuild.Value; });
        _ = Task.Run(async () => { await fixedBuild.Value; });
    }

    public string RepositoryRoot { get; }

    public string Root { get; }

    public string Feed { get; }

    public string PackagesFolder { get; }

    public string PackageVersion { get; }

    /// <summary>Variables for every process that consumes the package (not for the pack: it uses the user's cache).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    public string SampleSource => Path.Combine(RepositoryRoot, "samples", "LegacyBridge");

    public IReadOnlyList<(string Step, TimeSpan Duration)> Timings
    {
        get { lock (timings) { return timings.ToList(); } }
    }

    public Task<IReadOnlyList<string>> Pack => pack.Value;

    public Task<BuildRun> OriginalBuild => originalBuild.Value;

    public Task<BuildRun> EnforceBuild => enforceBuild.Value;

    /// <summary>The `dotnet format analyzers` runs on the fixed copy; null when no landed rule has a fix yet.</summary>
    public Task<IReadOnlyList<ProcessResult>?> Format => format.Value;

    public Task<BuildRun> FixedBuild => fixedBuild.Value;

    public void Record(string step, TimeSpan duration)
    {
        lock (timings)
        {
            timings.Add((step, duration));
            File.AppendAllText(Path.Combine(Root, "timings.txt"), $"{step}\t{duration.TotalSeconds:F1}s\n");
        }
    }

    public string DescribeTimings()
        => string.Join("\n", Timings.Select(t => $"  {t.Step,-40} {t.Duration.TotalSeconds,6:F1}s"));

    public void Dispose()
    {
        if (System.Environment.GetEnvironmentVariable("KS_E2E_KEEP") == "1")
        {
            return;
        }

        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Copies the sample's sources (no bin/obj) to Root/name and isolates it from anything around it.</summary>
    public string PrepareCopy(string name, bool keepSampleEditorConfig = false)
    {
        var target = Path.Combine(Root, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(SampleSource, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(SampleSource, file);
            var first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj")
            {
                continue;
            }

            var destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }

        // What a user's repository would have: the package version in Directory.Build.props (dotnet format
        // takes no MSBuild properties, so it has to live in a file), no central package management, a
        // nuget.config adding the local feed to the user's default sources (no <clear/>: inherited, not hardcoded).
        File.WriteAllText(Path.Combine(target, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <KernelSafetyPackageVersion>{PackageVersion}</KernelSafetyPackageVersion>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(target, "Directory.Packages.props"), """
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(target, "Directory.Build.targets"), "<Project />\n");
        // root = true: nothing above the copy applies. The sample's own .editorconfig (KS0007 raised to a warning so
        // `dotnet build` shows every rule) is kept for the original copy only; the others use the package's defaults.
        var sampleEditorConfig = Path.Combine(SampleSource, ".editorconfig");
        File.WriteAllText(
            Path.Combine(target, ".editorconfig"),
            "root = true\n\n" + (keepSampleEditorConfig && File.Exists(sampleEditorConfig) ? File.ReadAllText(sampleEditorConfig) : ""));
        File.WriteAllText(Path.Combine(target, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="kernelsafety-e2e" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        return target;
    }

    private async Task<IReadOnlyList<string>> PackAsync()
    {
        var stopwatch = Stopwatch.StartNew();

        // The README's pack command: the solution filter holds the two packable projects and what they pack.
        var result = await ProcessRunner.DotNetAsync(
            RepositoryRoot,
            BuildTimeout,
            environment: null,
            "pack", Path.Combine(RepositoryRoot, "eng", "KernelSafety.Packages.slnf"), "-c", "Release", "-o", Feed,
            $"-p:PackageVersion={PackageVersion}", "-nodeReuse:false", "-v:m");
        Assert.True(result.ExitCode == 0, $"pack failed:\n{result}");
        Record("pack (analyzers + runtime)", stopwatch.Elapsed);
        return Directory.GetFiles(Feed, "*.nupkg");
    }

    private async Task<BuildRun> BuildCopyAsync(string name, bool keepSampleEditorConfig, string step, params string[] extra)
    {
        await Pack;
        var directory = PrepareCopy(name, keepSampleEditorConfig);
        return await BuildAsync(directory, step, extra);
    }

    public async Task<BuildRun> BuildAsync(string directory, string step, params string[] extra)
    {
        var sarif = Path.Combine(directory, "build.sarif");
        if (File.Exists(sarif))
        {
            File.Delete(sarif);
        }

        // Analyzer loading failures are errors (a bare -warnaserror in `extra` covers them as well).
        var loadFailuresAsErrors = extra.Contains("-warnaserror") ? Array.Empty<string>() : ["-warnaserror:CS9057,CS8032"];
        string[] arguments =
        [
            "build", Path.Combine(directory, "LegacyBridge.csproj"), "--no-incremental", "-nodeReuse:false",
            .. loadFailuresAsErrors, $"-p:ErrorLog={sarif}%2Cversion%3D2.1", .. extra,
        ];
        var result = await ProcessRunner.DotNetAsync(directory, BuildTimeout, Environment, arguments);
        Record(step, result.Duration);
        var diagnostics = File.Exists(sarif) ? BuildDiagnostics.ReadSarif(sarif) : BuildDiagnostics.ReadConsole(result.Output);
        return new BuildRun(result, diagnostics, directory);
    }

    /// <summary>How many <c>dotnet format analyzers</c> runs the README's loop may take on the sample.</summary>
    private const int MaxFormatRuns = 3;

    private async Task<IReadOnlyList<ProcessResult>?> FormatAsync()
    {
        await Pack;
        var directory = PrepareCopy("fixed");
        var restore = await ProcessRunner.DotNetAsync(directory, BuildTimeout, Environment, "restore", "LegacyBridge.csproj", "-nodeReuse:false");
        Record("restore (fixed copy)", restore.Duration);
        Assert.True(restore.ExitCode == 0, $"restore failed:\n{restore}");

        var fixable = LandedRules.Fixable;
        if (fixable.Count == 0)
        {
            return null;
        }

        // Fix-all from the command line, exactly as the README says: run it until a run with --verify-no-changes finds
        // nothing left (it exits 2 while something is). One run usually fixes the whole sample (every rule's variants
        // share one equivalence key); but where two rules' fixes touch the same statement (KS0004's and KS0005's on
        // one send), dotnet format applies the fixers in no fixed order and may keep only one of them in a run.
        // At most three runs are allowed.
        string[] arguments =
        [
            "format", "analyzers", Path.Combine(directory, "LegacyBridge.csproj"), "--no-restore",
            "--diagnostics", .. fixable, "--severity", "info", "-v", "diag",
        ];
        var passes = new List<ProcessResult>();
        for (var run = 1; run <= MaxFormatRuns; run++)
        {
            var fix = await ProcessRunner.DotNetAsync(directory, BuildTimeout, Environment, [.. arguments, "--report", Path.Combine(directory, $"format-report-{run}.json")]);
            Record($"dotnet format analyzers (run {run})", fix.Duration);
            passes.Add(fix);
            if (fix.ExitCode != 0)
            {
                break;
            }

            var verify = await ProcessRunner.DotNetAsync(directory, BuildTimeout, Environment, [.. arguments, "--verify-no-changes", "--report", Path.Combine(directory, $"format-report-{run}-verify.json")]);
            Record($"dotnet format analyzers --verify-no-changes (after run {run})", verify.Duration);
            if (verify.ExitCode == 0 || run == MaxFormatRuns)
            {
                passes.Add(verify); // the last word: converged (exit 0), or still something to fix after the last run
                break;
            }
        }

        return passes;
    }

    private async Task<BuildRun> BuildFixedAsync()
    {
        await Format;
        var directory = Path.Combine(Root, "fixed");

        // Warnings as errors, except for warnings that cannot be fixed yet: rules whose analyzer landed without a
        // fix, and the NoFix gaps of the table (the tests assert exactly those remain).
        var unfixed = LandedRules.Analyzers.Except(LandedRules.Fixes)
            .Union(ExpectedDiagnostics.KnownGaps.Where(g => g.Kind == GapKind.NoFix).Select(g => g.Rule))
            .Remove("KS0007");
        var extra = new List<string> { "-warnaserror", "-p:TreatWarningsAsErrors=true" };
        if (unfixed.Count > 0)
        {
            extra.Add($"-p:WarningsNotAsErrors={string.Join("%3B", unfixed)}");
            extra.Add($"-warnnotaserror:{string.Join(",", unfixed)}");
        }

        return await BuildAsync(directory, "build fixed copy (warnings as errors)", [.. extra]);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KernelSafety.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("KernelSafety.sln not found above " + AppContext.BaseDirectory);
    }
}
