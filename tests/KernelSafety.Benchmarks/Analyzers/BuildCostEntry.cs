using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using KernelSafety.Analyzers;
using KernelSafety.Testing.Corpus;
using KernelSafety.Testing.Processes;

namespace KernelSafety.Benchmarks.Analyzers;

/// <summary>
/// What KernelSafety costs a real <c>dotnet build</c>: the cost a user sees, next to the in-process harness
/// (<see cref="AnalyzerCostEntry"/>), which times analyzers one after the other on an already bound compilation. Here
/// the compiler runs as in a user's build: concurrently, with the SDK's default analyzers and generators, emitting the
/// assembly. For each corpus it writes a project outside the repository (its own empty Directory.Build.* and
/// Directory.Packages.props, so nothing of this repository leaks in), restores it once, and builds it with
/// <c>--no-incremental</c>, alternately without and with KernelSafety's analyzer assembly (ABBA order, so a drift of
/// the machine falls on both sides), after one untimed build of each. It reports the medians of the build's wall time,
/// of MSBuild's Csc task and of the CPU time of the whole build (Linux: the build's process tree, from
/// <c>getrusage(RUSAGE_CHILDREN)</c>), and, from one more build with KernelSafety and <c>ReportAnalyzer</c>, the
/// compiler's own account of each analyzer assembly's time (the SDK's NetAnalyzers and generators included).
/// Usage: <c>build [--lines N] [--runs N] [--server] [--smoke] [--keep]</c>.
/// </summary>
public static class BuildCostEntry
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(30);

    private static readonly Regex CscTask = new(@"^\s*(\d+) ms\s+Csc\s", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    // ReportAnalyzer's table: "   1.380   27   KernelSafety.Analyzers, Version=..." and, indented further, one row per analyzer.
    private static readonly Regex ReportRow = new(@"^\s+(<?[\d.]+)\s+<?\d+\s+(\S.*?)\s*$", RegexOptions.CultureInvariant);

    public static int Run(string[] args)
    {
        var size = new CorpusSizeOptions(lines: 200_000, runs: 3, smokeLines: 3_000);
        var server = false;
        var keep = false;
        var known = size.ReadAll(args, argument =>
        {
            switch (argument)
            {
                case "--server":
                    server = true;
                    return true;
                case "--keep":
                    keep = true;
                    return true;
                default:
                    Console.Error.WriteLine($"error: unknown option '{argument}' (--lines N, --runs N, --server, --smoke, --keep)");
                    return false;
            }
        });
        if (!known)
        {
            return 2;
        }

        var (lines, runs) = (size.Lines, size.Runs);
        if (lines < 1_000)
        {
            Console.Error.WriteLine("error: --lines must be at least 1000");
            return 2;
        }

        var analyzer = typeof(RuleIdentifiers).Assembly.Location;
        var root = Path.Combine(Path.GetTempPath(), "ks-build-cost-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        Console.WriteLine("KernelSafety build cost: dotnet build --no-incremental of a generated project, without and with KernelSafety's analyzers");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; compiler: {(server ? "the compiler server (UseSharedCompilation=true, warmed up)" : "a csc process per build (UseSharedCompilation=false, as on most CI machines)")}");
        Console.WriteLine($"{runs} pair(s) of builds per corpus after one untimed build of each side; medians; work folder {root}");
        Console.WriteLine();
        try
        {
            var results = new List<Result>
            {
                Measure("mixed (sockets, interop, ordinary)", CorpusGenerator.Generate(CorpusKind.Mixed, lines), root, analyzer, runs, server),
                Measure("no socket or interop code", CorpusGenerator.Generate(CorpusKind.Ordinary, lines), root, analyzer, runs, server),
                Measure("no socket, interop or copy call", CorpusGenerator.Generate(CorpusKind.Plain, lines), root, analyzer, runs, server),
            };

            Console.WriteLine();
            Console.WriteLine("| corpus | lines | build without KS | with KS | KS adds | Csc task without | with | KS adds | CPU without | with | KS adds | KS in the compiler's report | NetAnalyzers in it | all analyzers in it |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                Console.WriteLine(
                    $"| {r.Name} | {r.Lines:N0} | {S(r.Without.Wall)} | {S(r.With.Wall)} | {Added(r.Without.Wall, r.With.Wall)} "
                    + $"| {S(r.Without.Csc)} | {S(r.With.Csc)} | {Added(r.Without.Csc, r.With.Csc)} "
                    + $"| {S(r.Without.Cpu)} | {S(r.With.Cpu)} | {Added(r.Without.Cpu, r.With.Cpu)} "
                    + $"| {S(r.Report.KernelSafety)} | {S(r.Report.NetAnalyzers)} | {S(r.Report.Total)} |");
            }

            Console.WriteLine();
            Console.WriteLine("The compiler's report (ReportAnalyzer) sums the wall time of each analyzer's callbacks while they run concurrently with");
            Console.WriteLine("the compiler and each other, so on a busy machine it overstates CPU; the build columns are what a user waits for and pays.");
            if (results.Any(r => double.IsNaN(r.Report.KernelSafety) || r.Report.Rules.Count == 0 || double.IsNaN(r.With.Csc) || double.IsNaN(r.Without.Csc)))
            {
                Console.Error.WriteLine("error: the build log lacks the Csc task's time or the compiler's analyzer report with KernelSafety's rules; the harness needs updating for this SDK");
                return 1;
            }

            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // A restore or build of the generated project failed or overran: say which, with its output, instead of a stack trace.
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally
        {
            if (server)
            {
                RunDotnet(root, ["build-server", "shutdown", "--vbcscompiler"], out _);
            }

            if (!keep)
            {
                TryDelete(root);
            }
        }
    }

    /// <summary>One build's times, or the medians of one side's builds.</summary>
    private sealed record Sample(double Wall, double Csc, double Cpu);

    private sealed record AnalyzerReport(double Total, double KernelSafety, double NetAnalyzers, IReadOnlyList<(string Name, double Seconds)> Rules);

    private sealed record Result(string Name, int Lines, Sample Without, Sample With, AnalyzerReport Report);

    private static Result Measure(string name, IReadOnlyList<(string Path, string Text)> files, string root, string analyzer, int runs, bool server)
    {
        var lines = files.Sum(f => CorpusGenerator.CountLines(f.Text));
        var project = WriteProject(root, name, files, analyzer);
        if (RunDotnet(project, ["restore", "-v", "q"], out var restoreOutput) != 0)
        {
            throw new InvalidOperationException($"restore of the generated project failed:{Environment.NewLine}{restoreOutput}");
        }

        // One untimed build of each side: the disk cache, and with --server the compiler server and the analyzer's load.
        Build(project, withKernelSafety: false, server, report: false, out _);
        Build(project, withKernelSafety: true, server, report: false, out _);

        var without = new List<Sample>();
        var with = new List<Sample>();
        for (var run = 0; run < runs; run++)
        {
            // ABBA: without, with, with, without, ... so a machine that slows down or speeds up weighs on both sides.
            var first = run % 2 == 0;
            var a = Build(project, withKernelSafety: !first, server, report: false, out _);
            var b = Build(project, withKernelSafety: first, server, report: false, out _);
            (first ? with : without).Add(b);
            (first ? without : with).Add(a);
        }

        Build(project, withKernelSafety: true, server, report: true, out var reportLog);
        var report = ParseReport(reportLog);
        var result = new Result(name, lines, Median(without), Median(with), report);
        Console.WriteLine($"{name}: {files.Count:N0} files, {lines:N0} lines");
        Console.WriteLine($"  without KernelSafety: {string.Join("; ", without.Select(Describe))}");
        Console.WriteLine($"  with KernelSafety:    {string.Join("; ", with.Select(Describe))}");

        // The pairs are the measurement: each compares two builds made back to back, so a slow spell of the machine
        // shows in both of them rather than in one side's median.
        var differences = without.Zip(with, (a, b) => b.Wall - a.Wall).ToList();
        Console.WriteLine(
            $"  each pair, with minus without (wall): {string.Join(", ", differences.Select(d => d.ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + " s"))}; "
            + $"slower with KernelSafety in {differences.Count(d => d > 0)} of {differences.Count}, median {Median(differences).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)} s");
        Console.WriteLine($"  compiler's report (one build with KernelSafety): all analyzers {S(report.Total)}, KernelSafety {S(report.KernelSafety)}, NetAnalyzers {S(report.NetAnalyzers)}");
        foreach (var (rule, seconds) in report.Rules)
        {
            Console.WriteLine($"    {rule,-70} {S(seconds)}");
        }

        return result;
    }

    private static string Describe(Sample s) => $"wall {S(s.Wall)}, Csc {S(s.Csc)}, CPU {S(s.Cpu)}";

    private static string WriteProject(string root, string name, IReadOnlyList<(string Path, string Text)> files, string analyzer)
    {
        // One folder per corpus, named after all of its name: a corpus must never build another one's sources.
        var folder = Path.Combine(root, Regex.Replace(name, "[^A-Za-z]+", "-").Trim('-'));
        if (Directory.Exists(folder))
        {
            throw new InvalidOperationException($"two corpora would share the project folder {folder}");
        }

        var sources = Path.Combine(folder, "src");
        Directory.CreateDirectory(sources);
        foreach (var (path, text) in files)
        {
            File.WriteAllText(Path.Combine(sources, Path.GetFileName(path)), text);
        }

        // Stop MSBuild's and NuGet's upward search here: the temp folder's parents are not ours to read.
        foreach (var stop in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(folder, stop), "<Project />\n");
        }

        File.Copy(analyzer, Path.Combine(folder, "KernelSafety.Analyzers.dll"), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "Corpus.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
                <LangVersion>latest</LangVersion>
                <ImplicitUsings>disable</ImplicitUsings>
                <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="src/*.cs" />
                <Analyzer Include="KernelSafety.Analyzers.dll" Condition="'$(WithKernelSafety)' == 'true'" />
              </ItemGroup>
            </Project>
            """);
        return folder;
    }

    private static Sample Build(string project, bool withKernelSafety, bool server, bool report, out string log)
    {
        var logFile = Path.Combine(project, report ? "report.log" : "build.log");
        string[] arguments =
        [
            "build", "--no-restore", "--no-incremental", "-nologo",
            $"-p:WithKernelSafety={(withKernelSafety ? "true" : "false")}",
            $"-p:UseSharedCompilation={(server ? "true" : "false")}",
            .. report ? ["-p:ReportAnalyzer=true"] : Array.Empty<string>(),
            // The console stays quiet (thousands of warnings on the mixed corpus); the file logger keeps the task summary
            // (and, for the report, the compiler's analyzer table, written at detailed verbosity).
            "-v:q", "-clp:NoSummary;ErrorsOnly", $"-flp:LogFile={logFile};Verbosity={(report ? "detailed" : "minimal")};PerformanceSummary",
        ];

        var cpuBefore = ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        var exit = RunDotnet(project, arguments, out var output);
        clock.Stop();
        // With the compiler server the compilation runs in a process that is not this build's child: its CPU is not counted.
        var cpu = !server && cpuBefore is { } before && ChildrenCpuSeconds() is { } after ? after - before : double.NaN;
        log = File.Exists(logFile) ? File.ReadAllText(logFile) : "";
        if (exit != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed with {exit}:{Environment.NewLine}{output}");
        }

        var csc = CscTask.Match(log) is { Success: true } match
            ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / 1000.0
            : double.NaN;
        return new Sample(clock.Elapsed.TotalSeconds, csc, cpu);
    }

    /// <summary>The analyzer table the compiler prints with ReportAnalyzer: totals per assembly, and KernelSafety's rows.</summary>
    private static AnalyzerReport ParseReport(string log)
    {
        double total = double.NaN, kernelSafety = double.NaN, netAnalyzers = 0;
        var rules = new List<(string, double)>();
        var inAnalyzers = false;
        foreach (var line in log.Split('\n'))
        {
            if (line.Contains("Total analyzer execution time:", StringComparison.Ordinal))
            {
                inAnalyzers = true;
                var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0];
                total = double.Parse(value, CultureInfo.InvariantCulture);
                continue;
            }

            if (line.Contains("Total generator execution time:", StringComparison.Ordinal))
            {
                inAnalyzers = false;
            }

            if (!inAnalyzers || ReportRow.Match(line.TrimEnd('\r')) is not { Success: true } row)
            {
                continue;
            }

            var seconds = row.Groups[1].Value.StartsWith('<') ? 0 : double.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture);
            var what = row.Groups[2].Value;
            if (what.StartsWith("KernelSafety.Analyzers,", StringComparison.Ordinal))
            {
                kernelSafety = seconds;
            }
            else if (what.StartsWith("KernelSafety.Analyzers.Rules.", StringComparison.Ordinal))
            {
                rules.Add((what["KernelSafety.Analyzers.Rules.".Length..], seconds));
            }
            else if (what.Contains("NetAnalyzers, Version=", StringComparison.Ordinal))
            {
                netAnalyzers += seconds; // Microsoft.CodeAnalysis.NetAnalyzers and its C# part
            }
        }

        return new AnalyzerReport(total, kernelSafety, netAnalyzers, rules);
    }

    /// <summary>Runs dotnet with the environment the end-to-end tests give their builds (<see cref="ProcessRunner.Sanitize"/>: one MSBuild process that exits with the build, so its CPU and csc's are counted and nothing lingers).</summary>
    private static int RunDotnet(string workingDirectory, string[] arguments, out string output)
    {
        var result = ProcessRunner.DotNetAsync(workingDirectory, BuildTimeout, null, arguments).GetAwaiter().GetResult();
        output = result.Output;
        return result.ExitCode;
    }

    private static Sample Median(List<Sample> samples)
        => new(Median(samples.Select(s => s.Wall)), Median(samples.Select(s => s.Csc)), Median(samples.Select(s => s.Cpu)));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string S(double seconds) => double.IsNaN(seconds) ? "n/a" : seconds.ToString("F2", CultureInfo.InvariantCulture) + " s";

    private static string Added(double without, double with)
        => double.IsNaN(without) || double.IsNaN(with) || without <= 0 ? "n/a"
            : $"{(with - without).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)} s ({(100 * (with - without) / without).ToString("+0.0;-0.0", CultureInfo.InvariantCulture)}%)";

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>User and system CPU seconds of every child process this process has waited for (Linux), or null.</summary>
    private static double? ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }

        var usage = default(RUsage);
        return GetRUsage(RUsageChildren, ref usage) == 0
            ? usage.UserSeconds + (usage.UserMicroseconds / 1e6) + usage.SystemSeconds + (usage.SystemMicroseconds / 1e6)
            : null;
    }

    private const int RUsageChildren = -1;

    /// <summary>The head of Linux's <c>struct rusage</c> on 64-bit targets (two <c>timeval</c>s), padded to its full 144 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRUsage(int who, ref RUsage usage);
}
