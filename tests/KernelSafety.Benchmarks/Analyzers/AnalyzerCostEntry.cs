using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime;
using System.Text;
using System.Text.RegularExpressions;
using KernelSafety.Analyzers;
using KernelSafety.Testing.Corpus;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Benchmarks.Analyzers;

/// <summary>
/// The analyzer cost harness. In one process it compiles each corpus, times the compiler's own
/// diagnostics pass, then runs KernelSafety's analyzers and the SDK's NetAnalyzers for the comparable
/// rules (CA1806, CA2022, CA2000) on the same compilation with execution-time logging, and reports
/// ratios, and what each side adds to the bytes an analysis pass allocates. Next to the diagnostics pass it times, once
/// per corpus, a full compile (<c>Emit</c> with a portable PDB, what <c>csc</c> does in a build) as a second reference. Usage: <c>analyzers [--lines N] [--runs N] [--smoke] [--list] [--workstation-gc] [--corpus NAME ...] [file.cs|folder ...]</c>;
/// <c>--list</c> prints every KernelSafety diagnostic of the user sources (file:line: id message); <c>--corpus</c>
/// measures only the generated corpora named (mixed, correct, ordinary, plain, interop, long; "none" for user sources alone).
/// </summary>
public static class AnalyzerCostEntry
{
    private static readonly string[] BaselineRuleIds = ["CA1806", "CA2022", "CA2000"];

    private static readonly string[] CorpusNames = ["mixed", "correct", "ordinary", "plain", "interop", "long"];

    public static int Run(string[] args)
    {
        var size = new CorpusSizeOptions(lines: 200_000, runs: 3, smokeLines: 20_000);
        var list = false;
        var workstationGc = false;
        var userPaths = new List<string>();
        var corpora = new HashSet<string>(StringComparer.Ordinal);
        var expectCorpus = false;
        var known = size.ReadAll(args, argument =>
        {
            if (expectCorpus)
            {
                expectCorpus = false;
                if (argument != "none" && !CorpusNames.Contains(argument))
                {
                    Console.Error.WriteLine($"error: --corpus takes one of {string.Join(", ", CorpusNames)} or none, not '{argument}'");
                    return false;
                }

                corpora.Add(argument);
                return true;
            }

            switch (argument)
            {
                case "--corpus":
                    expectCorpus = true;
                    return true;
                case "--list":
                    list = true;
                    return true;
                case "--workstation-gc":
                    workstationGc = true;
                    return true;
                case var path when File.Exists(path) || Directory.Exists(path):
                    userPaths.Add(path);
                    return true;
                default:
                    Console.Error.WriteLine($"error: '{argument}' is neither an option (--lines N, --runs N, --smoke, --list, --workstation-gc, --corpus NAME) nor an existing .cs file or folder");
                    return false;
            }
        });
        if (known && expectCorpus)
        {
            Console.Error.WriteLine($"error: --corpus needs a name: {string.Join(", ", CorpusNames)} or none");
            known = false;
        }

        if (!known)
        {
            return 2;
        }

        bool Wanted(string corpus) => corpora.Count == 0 || corpora.Contains(corpus);

        var (lines, runs) = (size.Lines, size.Runs);

        // The compiler runs analyzers under server GC (csc and VBCSCompiler set System.GC.Server), and a GC pause is
        // charged to whichever callback allocates when it falls due: measure under the compiler's own GC, in a child
        // process when this one was started with the workstation GC, unless told otherwise.
        if (!workstationGc && !GCSettings.IsServerGC)
        {
            return RunUnderServerGc(args);
        }

        var ours = LoadOurAnalyzers();
        var baseline = LoadNetAnalyzers(out var baselineSource);
        var references = PlatformReferences();

        Console.WriteLine($"KernelSafety analyzer cost harness: {ours.Length} KernelSafety analyzers; baseline {baseline.Length} NetAnalyzers analyzers for {string.Join(", ", BaselineRuleIds)} from {baselineSource}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformationText()}, {(GCSettings.IsServerGC ? "server GC (as csc and VBCSCompiler)" : "workstation GC")}; {runs} timed run(s) per corpus after a warm-up, median reported");
        Console.WriteLine();

        WarmUp(references, ours, baseline, settle: !size.IsSmoke);

        // A quarter the size: what it shows is how the cost grows with the number of P/Invokes a compilation declares.
        var results = new List<Result>();
        Result? mixed = null, ordinary = null, plain = null;
        if (Wanted("mixed"))
        {
            results.Add(mixed = Measure("mixed (sockets, interop, ordinary)", CorpusGenerator.Generate(CorpusKind.Mixed, lines), references, ours, baseline, runs));
        }

        if (Wanted("correct"))
        {
            // The same share of socket and interop code as the mixed corpus, all of it written correctly: what the
            // rules cost on code they must look at and prove, without the mixed corpus's findings.
            results.Add(Measure("sockets and interop, correct (no findings)", CorpusGenerator.Generate(CorpusKind.CorrectSockets, lines), references, ours, baseline, runs));
        }

        if (Wanted("ordinary"))
        {
            results.Add(ordinary = Measure("no socket or interop code", CorpusGenerator.Generate(CorpusKind.Ordinary, lines), references, ours, baseline, runs));
        }

        if (Wanted("plain"))
        {
            results.Add(plain = Measure("no socket, interop or copy call", CorpusGenerator.Generate(CorpusKind.Plain, lines), references, ours, baseline, runs));
        }

        if (Wanted("interop"))
        {
            // A quarter the size: what it shows is how the cost grows with the number of P/Invokes a compilation declares.
            var interopLayer = CorpusGenerator.Generate(CorpusKind.InteropLayer, lines / 4);
            results.Add(Measure($"interop layer ({CountImports(interopLayer):N0} P/Invokes), no sockets", interopLayer, references, ours, baseline, runs));
        }

        string? growth = null;
        if (Wanted("long"))
        {
            // One method, twice as long: linear cost doubles. The blocks scale with the corpus so --smoke stays small.
            var blocks = Math.Max(50, lines / 500);
            var longMethod = Measure($"one method of {blocks:N0} blocks", CorpusGenerator.LongMethod(blocks), references, ours, baseline, runs);
            var longerMethod = Measure($"one method of {2 * blocks:N0} blocks", CorpusGenerator.LongMethod(2 * blocks), references, ours, baseline, runs);
            var flatMethod = Measure($"one flat method of {blocks:N0} groups", CorpusGenerator.LongMethod(blocks, flat: true), references, ours, baseline, runs);
            var longerFlatMethod = Measure($"one flat method of {2 * blocks:N0} groups", CorpusGenerator.LongMethod(2 * blocks, flat: true), references, ours, baseline, runs);
            results.Add(longMethod);
            results.Add(longerMethod);
            results.Add(flatMethod);
            results.Add(longerFlatMethod);
            growth = $"Growth with one method's length: twice the blocks, {Growth(longMethod, longerMethod)}; flat, twice the groups, {Growth(flatMethod, longerFlatMethod)} (2 is linear).";
        }

        if (userPaths.Count > 0)
        {
            results.Add(Measure("user sources", ReadUserSources(userPaths), references, ours, baseline, runs, list: list));
        }

        Console.WriteLine();
        Console.WriteLine("| corpus | lines | compiler | KernelSafety (7 rules) | % of compile | % of a full compile (emit) | NetAnalyzers (3 rules) | KS per rule / NA per rule | allocated: compile | KernelSafety adds | NetAnalyzers add |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var perRuleRatio = r.BaselineTime.TotalMilliseconds <= 0 ? double.NaN
                : (r.OurTime.TotalMilliseconds / 7) / (r.BaselineTime.TotalMilliseconds / BaselineRuleIds.Length);
            Console.WriteLine(
                $"| {r.Name} | {r.Lines:N0} | {Ms(r.CompileTime)} | {Ms(r.OurTime)} | {100 * r.OurTime.TotalMilliseconds / r.CompileTime.TotalMilliseconds:F3}% | {FullCompileShare(r)} | {Ms(r.BaselineTime)} | {perRuleRatio:F2} | {AllocationColumns(r.Allocated)} |");
        }

        Console.WriteLine();
        if (growth is not null)
        {
            Console.WriteLine(growth);
        }

        Console.WriteLine("Targets: <= 1% of compile time on the mixed corpus, <= 0.1% on the corpora with no socket or interop code, judged against");
        Console.WriteLine("the diagnostics pass (the smaller time; a full compile also lowers and emits, so KernelSafety's share of it is smaller).");
        Console.WriteLine(string.Join("; ", new[]
        {
            Target("mixed", mixed, 0.01),
            Target("no sockets or interop", ordinary, 0.001),
            Target("no sockets, interop or copies", plain, 0.001),
        }.OfType<string>()));
        return 0;
    }

    private static string? Target(string name, Result? result, double share)
        => result is null ? null
            : $"{name}: {(result.OurTime.TotalMilliseconds <= share * result.CompileTime.TotalMilliseconds ? "met" : "NOT met")}";

    private static string Growth(Result shorter, Result longer)
        => $"{longer.OurTime.TotalMilliseconds / shorter.OurTime.TotalMilliseconds:F2}x KernelSafety time ({longer.CompileTime.TotalMilliseconds / shorter.CompileTime.TotalMilliseconds:F2}x compile time)";

    private static int CountImports(IReadOnlyList<(string Path, string Text)> files)
    {
        var imports = 0;
        foreach (var (_, text) in files)
        {
            for (var at = text.IndexOf("[DllImport(", StringComparison.Ordinal); at >= 0; at = text.IndexOf("[DllImport(", at + 1, StringComparison.Ordinal))
            {
                imports++;
            }
        }

        return imports;
    }

    private static string FullCompileShare(Result r)
        => r.FullCompileTime is { } full ? $"{100 * r.OurTime.TotalMilliseconds / full.TotalMilliseconds:F3}% of {Ms(full)}" : "n/a";

    private sealed record Result(string Name, int Lines, TimeSpan CompileTime, TimeSpan OurTime, TimeSpan BaselineTime, TimeSpan FloorTime, Allocation? Allocated, TimeSpan? FullCompileTime);

    /// <summary>
    /// Bytes allocated (all threads) by the compiler's own pass, and what each side adds to an analysis pass that runs
    /// only the floor analyzer: the floor already makes the driver build every body's operation tree, as the SDK's
    /// default rules do in a real build, so the deltas are what KernelSafety and NetAnalyzers add to such a build,
    /// their driver bookkeeping included (which the execution-time telemetry does not charge to anyone).
    /// </summary>
    private sealed record Allocation(long Compile, long Floor, long Ours, long Baseline)
    {
        public long OursAdded => Ours - Floor;

        public long BaselineAdded => Baseline - Floor;

        /// <summary>Each analysis pass above zero and below four times the compile's allocation; neither side removing more than a few percent.</summary>
        public bool IsPlausible
            => Compile > 0 && Floor > 0 && Floor <= 4 * Compile
               && Ours >= Floor - Floor / 20 && Ours <= 4 * Compile
               && Baseline >= Floor - Floor / 20 && Baseline <= 4 * Compile;
    }

    /// <summary>
    /// The driver's floor: an analyzer that asks for every invocation and only reads which method of which type it
    /// calls. What it costs is what any rule that must look at calls (KS0001 looks at every copy call) pays before it
    /// does any work of its own. It runs first, so the first-touch cost of each call's symbols lands here.
    /// </summary>
    // A measuring stick that only this harness loads, never a shipped analyzer: the shipping rules' checks do not apply.
#pragma warning disable RS1036, RS1038, RS1041, RS2008
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class InvocationFloorAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new("FLOOR", "floor", "floor", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptor];

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(static c => _ = ((IInvocationOperation)c.Operation).TargetMethod.ContainingType, OperationKind.Invocation);
        }
    }
#pragma warning restore RS1036, RS1038, RS1041, RS2008

    /// <summary>
    /// Warm-up: JIT-compiles the compiler and every analyzer on a small mixed corpus, so that the timed runs measure steady
    /// state, as the compiler server (VBCSCompiler) reaches after a few builds. One pass is not enough for that: the runtime
    /// first compiles a method quickly (tier 0, for loops 3 to 4 times slower than optimized code) and recompiles it
    /// optimized only after it has been called 30 times once 100 ms have passed without any new method to compile, and a
    /// pass of the compiler keeps compiling new ones. Measured 2026-12-03: the source index took 82–97 ms in each of the
    /// first three passes of the 200k-line mixed corpus in a fresh process and 24 ms in the fourth; passes of this warm-up corpus
    /// JIT-compiled 33,234 methods, then 2,796, 3,614, 5,603, 3,549, 2,516, 1,575 and 241. So, unless
    /// <paramref name="settle"/> is false (<c>--smoke</c>), passes repeat, with a pause between them that lets the
    /// optimizing tier catch up, until a pass compiles fewer than 1% of the methods compiled so far (at most 10 passes).
    /// </summary>
    private static void WarmUp(ImmutableArray<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> ours, ImmutableArray<DiagnosticAnalyzer> baseline, bool settle)
    {
        var corpus = CorpusGenerator.Generate(CorpusKind.Mixed, settle ? 20_000 : 5_000, seed: 7);
        var stopwatch = Stopwatch.StartNew();
        var compiledPerPass = new List<long>();
        do
        {
            var before = JitInfo.GetCompiledMethodCount();
            Measure("warm-up", corpus, references, ours, baseline, runs: 1, quiet: true);
            if (settle)
            {
                Thread.Sleep(500);
            }

            compiledPerPass.Add(JitInfo.GetCompiledMethodCount() - before);
        }
        while (settle && compiledPerPass.Count < 10 && compiledPerPass[^1] * 100 >= JitInfo.GetCompiledMethodCount());

        Console.WriteLine($"warm-up: {compiledPerPass.Count} pass(es) of {corpus.Sum(f => CorpusGenerator.CountLines(f.Text)):N0} lines in {stopwatch.Elapsed.TotalSeconds:F0} s; methods JIT-compiled in each: {string.Join(", ", compiledPerPass.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)))} ({JitInfo.GetCompiledMethodCount():N0} in all)");
        Console.WriteLine();
    }

    private static Result Measure(
        string name,
        IReadOnlyList<(string Path, string Text)> files,
        ImmutableArray<MetadataReference> references,
        ImmutableArray<DiagnosticAnalyzer> ours,
        ImmutableArray<DiagnosticAnalyzer> baseline,
        int runs,
        bool quiet = false,
        bool list = false)
    {
        var lines = files.Sum(f => CorpusGenerator.CountLines(f.Text));
        var compileTimes = new List<TimeSpan>();
        var compileAllocations = new List<long>();
        var ourTimes = new List<TimeSpan>();
        var baselineTimes = new List<TimeSpan>();
        var floorTimes = new List<TimeSpan>();
        var perRule = new Dictionary<string, List<TimeSpan>>();
        var analysisGc = new List<(int Collections, TimeSpan Paused)>();
        ImmutableArray<Diagnostic> lastDiagnostics = default;

        // Every corpus starts from a collected heap, so garbage of the previous one is not collected on its time.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        MeasureRuns(files, references, ours, baseline, runs, compileTimes, compileAllocations, ourTimes, baselineTimes, floorTimes, perRule, analysisGc, out lastDiagnostics, quiet, name);

        compileAllocations.Sort();
        var allocated = quiet ? null : MeasureAllocation(files, references, ours, baseline, compileAllocations[compileAllocations.Count / 2]);
        var fullCompile = quiet ? (TimeSpan?)null : MeasureFullCompile(files, references);
        var r = new Result(name, lines, Median(compileTimes), Median(ourTimes), Median(baselineTimes), Median(floorTimes), allocated, fullCompile);
        if (!quiet)
        {
            Console.WriteLine($"{name}: {files.Count:N0} files, {lines:N0} lines; compile {Ms(r.CompileTime)}, KernelSafety {Ms(r.OurTime)}, NetAnalyzers {Ms(r.BaselineTime)}");
            Console.WriteLine($"  full compile (Emit with a portable PDB, once): {(fullCompile is { } full ? $"{Ms(full)}, {full.TotalMilliseconds / r.CompileTime.TotalMilliseconds:F2}x the diagnostics pass; KernelSafety is {FullCompileShare(r)}" : "not measured (the emit failed)")}");
            Console.WriteLine(allocated is null
                ? "  allocated: not measured (the runtime's allocation counter stayed inconsistent)"
                : $"  allocated: compile {Mb(allocated.Compile)}; analysis with the floor alone {Mb(allocated.Floor)}, KernelSafety adds {Mb(allocated.OursAdded)} ({100.0 * allocated.OursAdded / allocated.Compile:F1}% of the compile's), NetAnalyzers add {Mb(allocated.BaselineAdded)}");

            Console.WriteLine($"  floor: an analyzer that asks for every invocation and reads its method's type costs {Ms(r.FloorTime)} ({100 * r.FloorTime.TotalMilliseconds / r.CompileTime.TotalMilliseconds:F3}% of compile)");

            // The spread between runs is mostly the GC's: an analysis pass of 200k lines collects a dozen times or more, over
            // 100 ms each under the server GC here, and a pause is charged to whichever callback allocates when it falls
            // due. So the passes' collections and pauses are shown next to each run; the fastest run is the closest to the
            // rules' own work, and the medians (per rule too) keep a single pause out of the reported numbers.
            Console.WriteLine($"  KernelSafety per run: {string.Join(", ", ourTimes.Select(t => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)))} ms (fastest {Ms(ourTimes.Min())}); GC in each analysis pass: {string.Join(", ", analysisGc.Select(g => $"{g.Collections} collections, {g.Paused.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture)} ms paused"))}");
            foreach (var (id, times) in perRule.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"  {id,-16} {Median(times).TotalMilliseconds,10:F1} ms   (runs: {string.Join(", ", times.Select(t => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)))})");
            }

            var counts = lastDiagnostics.IsDefault ? [] : lastDiagnostics
                .Where(d => d.Id.StartsWith("KS", StringComparison.Ordinal) || BaselineRuleIds.Contains(d.Id))
                .GroupBy(d => d.Id)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key}={g.Count()}")
                .ToList();
            Console.WriteLine($"  diagnostics: {(counts.Count == 0 ? "none" : string.Join(", ", counts))}");
            if (list && !lastDiagnostics.IsDefault)
            {
                PrintDiagnostics(lastDiagnostics);
            }
        }

        return r;
    }

    /// <summary>
    /// One analysis pass each with the floor alone, the floor and KernelSafety, the floor and NetAnalyzers, on fresh
    /// compilations (allocation varies by a few MB between identical passes; one pass each is enough for its size), next
    /// to the median allocation of the timed runs' compiles.
    /// An analysis pass binds the whole compilation again, so it allocates about what the compile did (less parsing),
    /// and the analyzers add a fraction of that: a set outside those bounds is measured again. Under the server GC's dynamic
    /// heap count (DATAS, on by default, as in csc) the runtime's allocation counter sums only the heaps active when it
    /// is read, so it can go backwards and then jump (dotnet/runtime#131069, fixed after .NET 10.0.12).
    /// </summary>
    private static Allocation? MeasureAllocation(
        IReadOnlyList<(string Path, string Text)> files,
        ImmutableArray<MetadataReference> references,
        ImmutableArray<DiagnosticAnalyzer> ours,
        ImmutableArray<DiagnosticAnalyzer> baseline,
        long compileAllocated)
    {
        ImmutableArray<DiagnosticAnalyzer> floor = [new InvocationFloorAnalyzer()];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var measured = new Allocation(
                compileAllocated,
                AllocatedByAnalysis(files, references, floor),
                AllocatedByAnalysis(files, references, floor.AddRange(ours)),
                AllocatedByAnalysis(files, references, floor.AddRange(baseline)));
            if (measured.IsPlausible)
            {
                return measured;
            }

            Console.WriteLine($"  (allocation counter inconsistent, measuring again: compile {Mb(measured.Compile)}, floor {Mb(measured.Floor)}, with KernelSafety {Mb(measured.Ours)}, with NetAnalyzers {Mb(measured.Baseline)})");
        }

        return null;
    }

    private static long AllocatedByAnalysis(
        IReadOnlyList<(string Path, string Text)> files,
        ImmutableArray<MetadataReference> references,
        ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var withAnalyzers = PrepareAnalysis(files, references, analyzers, logExecutionTime: false);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        GC.KeepAlive(withAnalyzers.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult());
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    /// <summary>
    /// A fresh compilation with <paramref name="analyzers"/>, run sequentially. Its declarations are completed first
    /// (compiler work, part of the compile time, that every build does before analyzers see method bodies); otherwise
    /// the first analyzer to look up a type pays for building the compiler's declaration table and the telemetry charges
    /// compiler work to whichever analyzer happens to run first.
    /// </summary>
    private static CompilationWithAnalyzers PrepareAnalysis(
        IReadOnlyList<(string Path, string Text)> files,
        ImmutableArray<MetadataReference> references,
        ImmutableArray<DiagnosticAnalyzer> analyzers,
        bool logExecutionTime)
    {
        var compilation = CreateCompilation(files, references);
        compilation.GetDeclarationDiagnostics();
        return compilation.WithAnalyzers(
            analyzers,
            new CompilationWithAnalyzersOptions(
                AnalyzerOptions(),
                onAnalyzerException: (ex, analyzer, diagnostic) => Console.Error.WriteLine($"  ANALYZER EXCEPTION in {analyzer.GetType().Name}: {ex.Message}"),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: logExecutionTime,
                reportSuppressedDiagnostics: false));
    }

    private static void MeasureRuns(
        IReadOnlyList<(string Path, string Text)> files,
        ImmutableArray<MetadataReference> references,
        ImmutableArray<DiagnosticAnalyzer> ours,
        ImmutableArray<DiagnosticAnalyzer> baseline,
        int runs,
        List<TimeSpan> compileTimes,
        List<long> compileAllocations,
        List<TimeSpan> ourTimes,
        List<TimeSpan> baselineTimes,
        List<TimeSpan> floorTimes,
        Dictionary<string, List<TimeSpan>> perRule,
        List<(int Collections, TimeSpan Paused)> analysisGc,
        out ImmutableArray<Diagnostic> lastDiagnostics,
        bool quiet,
        string name)
    {
        lastDiagnostics = default;
        for (var run = 0; run < runs; run++)
        {
            // The compiler's own time: parse and bind everything (GetDiagnostics), on a fresh compilation, on one thread.
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var stopwatch = Stopwatch.StartNew();
            var compilation = CreateCompilation(files, references);
            var compilerDiagnostics = compilation.GetDiagnostics();
            stopwatch.Stop();
            compileTimes.Add(stopwatch.Elapsed);
            compileAllocations.Add(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
            var errors = compilerDiagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            if (errors > 0 && run == 0 && !quiet)
            {
                Console.WriteLine($"  note: {errors} compiler errors in '{name}', first: {compilerDiagnostics.First(d => d.Severity == DiagnosticSeverity.Error)}");
            }

            // Analyzers, all on one fresh compilation (PrepareAnalysis), sequentially, with execution-time logging.
            // The floor runs first: the driver calls analyzers in this order, and the first one to ask for a call's method
            // and type pays for creating those symbols, a cost every analyzer that looks at calls shares.
            var floor = new InvocationFloorAnalyzer();
            var all = ImmutableArray.Create<DiagnosticAnalyzer>(floor).AddRange(ours).AddRange(baseline);
            var withAnalyzers = PrepareAnalysis(files, references, all, logExecutionTime: true);
            var (collectionsBefore, pausedBefore) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
            var result = withAnalyzers.GetAnalysisResultAsync(CancellationToken.None).GetAwaiter().GetResult();
            analysisGc.Add((GC.CollectionCount(0) - collectionsBefore, GC.GetTotalPauseDuration() - pausedBefore));
            lastDiagnostics = result.GetAllDiagnostics();

            var ourTotal = TimeSpan.Zero;
            foreach (var analyzer in ours)
            {
                var time = result.AnalyzerTelemetryInfo.TryGetValue(analyzer, out var info) ? info.ExecutionTime : TimeSpan.Zero;
                ourTotal += time;
                var id = analyzer.SupportedDiagnostics.Length > 0 ? string.Join("+", analyzer.SupportedDiagnostics.Select(d => d.Id)) : analyzer.GetType().Name;
                if (!perRule.TryGetValue(id, out var times))
                {
                    perRule[id] = times = [];
                }

                times.Add(time);
            }

            var baselineTotal = TimeSpan.Zero;
            foreach (var analyzer in baseline)
            {
                baselineTotal += result.AnalyzerTelemetryInfo.TryGetValue(analyzer, out var info) ? info.ExecutionTime : TimeSpan.Zero;
            }

            floorTimes.Add(result.AnalyzerTelemetryInfo.TryGetValue(floor, out var floorInfo) ? floorInfo.ExecutionTime : TimeSpan.Zero);
            ourTimes.Add(ourTotal);
            baselineTimes.Add(baselineTotal);
        }
    }

    /// <summary>Runs this harness again, with the same arguments, in a child process that uses the server GC; returns its exit code.</summary>
    private static int RunUnderServerGc(string[] args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the harness cannot find its own executable to rerun it under server GC; pass --workstation-gc");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location); // started as 'dotnet KernelSafety.Benchmarks.dll'
        }

        start.ArgumentList.Add("analyzers");
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_gcServer"] = "1";
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start '{host}'");
        child.WaitForExit();
        if (child.ExitCode == 0)
        {
            return 0;
        }

        Console.Error.WriteLine($"error: the harness under server GC exited with {child.ExitCode}");
        return child.ExitCode;
    }

    /// <summary>Prints each KernelSafety diagnostic (and analyzer failure, AD0001) as <c>file:line: id message</c>, in file order.</summary>
    private static void PrintDiagnostics(ImmutableArray<Diagnostic> diagnostics)
    {
        var listed = diagnostics
            .Where(d => d.Id.StartsWith("KS", StringComparison.Ordinal) || d.Id == "AD0001")
            .Select(d => (Span: d.Location.GetLineSpan(), Diagnostic: d))
            .OrderBy(p => p.Span.Path, StringComparer.Ordinal)
            .ThenBy(p => p.Span.StartLinePosition.Line)
            .ThenBy(p => p.Span.StartLinePosition.Character);
        foreach (var (span, diagnostic) in listed)
        {
            var where = span.IsValid ? $"{span.Path}:{span.StartLinePosition.Line + 1}" : "(no location)";
            Console.WriteLine($"    {where}: {diagnostic.Id} {diagnostic.GetMessage(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>
    /// What <c>csc</c> does for a build, on one thread: parse, bind, lower and emit the assembly with a portable PDB (the
    /// SDK's default), into memory; null when the emit fails. The texts carry an encoding, which a PDB needs.
    /// </summary>
    private static TimeSpan? MeasureFullCompile(IReadOnlyList<(string Path, string Text)> files, ImmutableArray<MetadataReference> references)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var stopwatch = Stopwatch.StartNew();
        var compilation = CreateCompilation(files, references, Encoding.UTF8);
        using var assembly = new MemoryStream();
        using var pdb = new MemoryStream();
        var emitted = compilation.Emit(assembly, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        stopwatch.Stop();
        if (emitted.Success)
        {
            return stopwatch.Elapsed;
        }

        Console.WriteLine($"  note: the full compile failed: {emitted.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error)}");
        return null;
    }

    private static CSharpCompilation CreateCompilation(IReadOnlyList<(string Path, string Text)> files, ImmutableArray<MetadataReference> references, Encoding? encoding = null)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest, preprocessorSymbols: FrameworkSymbols);
        var trees = files.Select(f => encoding is null
            ? CSharpSyntaxTree.ParseText(f.Text, parseOptions, f.Path)
            : CSharpSyntaxTree.ParseText(SourceText.From(f.Text, encoding), parseOptions, f.Path)).ToList();
        // Single-threaded binding, like the analyzers (concurrentAnalysis: false): both sides are measured on one core,
        // so the ratio compares work, not how many cores each side could use.
        var options = new CSharpCompilationOptions(KindOf(files), concurrentBuild: false)
            .WithAllowUnsafe(true)
            .WithNullableContextOptions(NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(BaselineRuleIds.ToDictionary(id => id, _ => ReportDiagnostic.Warn));
        return CSharpCompilation.Create("Corpus", trees, references, options);
    }

    /// <summary>
    /// The symbols the SDK defines for the framework the compilation references (this runtime's): <c>NET</c>,
    /// <c>NET10_0</c>, <c>NET5_0_OR_GREATER</c> ... <c>NET10_0_OR_GREATER</c>, <c>NETCOREAPP</c>, <c>NETCOREAPP3_1_OR_GREATER</c>...,
    /// and <c>RELEASE</c>/<c>TRACE</c>, so user sources' <c>#if NET8_0_OR_GREATER</c> code is analyzed as a build would.
    /// </summary>
    private static readonly string[] FrameworkSymbols = BuildFrameworkSymbols(Environment.Version.Major);

    private static string[] BuildFrameworkSymbols(int major)
    {
        var symbols = new List<string> { "NET", $"NET{major}_0", "NETCOREAPP", "RELEASE", "TRACE" };
        for (var version = 5; version <= major; version++)
        {
            symbols.Add($"NET{version}_0_OR_GREATER");
        }

        foreach (var core in new[] { "1_0", "1_1", "2_0", "2_1", "2_2", "3_0", "3_1" })
        {
            symbols.Add($"NETCOREAPP{core}_OR_GREATER");
        }

        return symbols.ToArray();
    }

    /// <summary>User sources that declare a static <c>Main</c> are a program: compiled as one, the rules see its entry point.</summary>
    private static OutputKind KindOf(IReadOnlyList<(string Path, string Text)> files)
        => files is UserSources { IsProgram: true } ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary;

    /// <summary>Sources read from the command line, with whether they are a program (decided once, outside any timing).</summary>
    private sealed class UserSources(IEnumerable<(string Path, string Text)> files) : List<(string Path, string Text)>(files)
    {
        private static readonly Regex ProgramMain = new(@"\bstatic\s+(?:async\s+)?(?:void|int|Task|Task<int>)\s+Main\s*\(");

        public bool IsProgram { get; } = files.Any(f => ProgramMain.IsMatch(f.Text));
    }

    private static AnalyzerOptions AnalyzerOptions() => new([]);

    private static ImmutableArray<DiagnosticAnalyzer> LoadOurAnalyzers()
        => typeof(RuleIdentifiers).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    /// <summary>The SDK's own NetAnalyzers, restricted to the analyzers behind the comparable rules.</summary>
    private static ImmutableArray<DiagnosticAnalyzer> LoadNetAnalyzers(out string source)
    {
        var sdkRoot = Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)!)!; // .../shared/Microsoft.NETCore.App
        var dotnetRoot = Path.GetFullPath(Path.Combine(sdkRoot, "..", ".."));
        var candidates = Directory.Exists(Path.Combine(dotnetRoot, "sdk"))
            ? Directory.GetDirectories(Path.Combine(dotnetRoot, "sdk")).OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "Sdks", "Microsoft.NET.Sdk", "analyzers"))
                .Where(Directory.Exists)
                .ToList()
            : [];
        if (candidates.Count == 0)
        {
            source = "(not found: no SDK analyzers folder)";
            return [];
        }

        var folder = candidates[0];
        source = folder;
        var loader = new Loader();
        var analyzers = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
        foreach (var name in new[] { "Microsoft.CodeAnalysis.NetAnalyzers.dll", "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll" })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                continue;
            }

            var reference = new AnalyzerFileReference(path, loader);
            foreach (var analyzer in reference.GetAnalyzers(LanguageNames.CSharp))
            {
                if (analyzer.SupportedDiagnostics.Any(d => BaselineRuleIds.Contains(d.Id)))
                {
                    analyzers.Add(analyzer);
                }
            }
        }

        return analyzers.ToImmutable();
    }

    private static ImmutableArray<MetadataReference> PlatformReferences()
        => ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => IsFrameworkAssembly(Path.GetFileName(p)))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    // The shared framework's own assemblies, not the harness's (Roslyn, BenchmarkDotNet, ours): user sources that
    // throw Win32Exception need Microsoft.Win32.Primitives, which a filter on "System." alone left out.
    private static bool IsFrameworkAssembly(string fileName)
        => fileName.StartsWith("System.", StringComparison.Ordinal)
            || fileName.StartsWith("Microsoft.Win32.", StringComparison.Ordinal)
            || fileName is "mscorlib.dll" or "netstandard.dll" or "Microsoft.VisualBasic.dll" or "Microsoft.VisualBasic.Core.dll" or "Microsoft.CSharp.dll";

    private static IReadOnlyList<(string Path, string Text)> ReadUserSources(IEnumerable<string> paths)
        => new UserSources(paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*.cs", SearchOption.AllDirectories) : [p])
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(p)))
            .ToList());

    private static TimeSpan Median(List<TimeSpan> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:N1} ms";

    private static string AllocationColumns(Allocation? allocated)
        => allocated is null ? "n/a | n/a | n/a" : $"{Mb(allocated.Compile)} | {Mb(allocated.OursAdded)} | {Mb(allocated.BaselineAdded)}";

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):N1} MB";

    private static string RuntimeInformationText()
        => $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, Roslyn {typeof(Compilation).Assembly.GetName().Version}";

    private sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}
