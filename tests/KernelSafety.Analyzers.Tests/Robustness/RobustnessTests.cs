using System.Diagnostics;
using System.Text.RegularExpressions;
using KernelSafety.Testing.Corpus;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit.Abstractions;

namespace KernelSafety.Analyzers.Tests.Robustness;

/// <summary>
/// What an editor sees while someone types: every test snippet and sample, truncated at many points and
/// with tokens deleted, goes through every analyzer and every fixer. Nothing may throw, no AD0001, and
/// analysis stops promptly when cancelled.
/// </summary>
public class RobustnessTests(ITestOutputHelper output)
{
    private const int VariantsPerSource = 8;

    /// <summary>
    /// The C# snippets of the rule tests (string literals that declare a type, with the test markup removed),
    /// the samples, and a slice of the generated corpus.
    /// </summary>
    internal static List<(string Name, string Text)> Sources()
    {
        var root = RuleCatalogTests.RepositoryRoot();
        var sources = new List<(string, string)>();
        var markup = new Regex(@"\{\|KS\d{4}:|\|\}|\[\||\|\]");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "tests", "KernelSafety.Analyzers.Tests", "Rules"), "*.cs", SearchOption.AllDirectories))
        {
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file));
            var index = 0;
            foreach (var token in tree.GetRoot().DescendantTokens())
            {
                if (token.Kind() is not (SyntaxKind.StringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken or SyntaxKind.SingleLineRawStringLiteralToken))
                {
                    continue;
                }

                var text = token.ValueText;
                if (text.Length < 40 || !Regex.IsMatch(text, @"\b(class|struct|interface|record)\b"))
                {
                    continue;
                }

                sources.Add(($"{Path.GetFileNameWithoutExtension(file)}#{index++}", markup.Replace(text, "")));
            }
        }

        sources.AddRange(AnalysisHarness.ReadSources(Path.Combine(root, "samples")));

        foreach (var (path, text) in CorpusGenerator.Generate(CorpusKind.Mixed, 1_500, seed: 3))
        {
            sources.Add((path, text));
        }

        return sources;
    }

    /// <summary>Truncations at evenly spread points and single-token deletions, deterministic per source.</summary>
    internal static IEnumerable<string> Variants(string text, int count, int seed)
    {
        yield return text;
        var random = new Random(seed);
        for (var i = 1; i <= count / 2; i++)
        {
            yield return text.Substring(0, text.Length * i / (count / 2 + 1));
        }

        var tokens = CSharpSyntaxTree.ParseText(text).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        for (var i = 0; i < count - count / 2 && tokens.Count > 0; i++)
        {
            var token = tokens[random.Next(tokens.Count)];
            yield return text.Remove(token.SpanStart, token.Span.Length);
        }
    }

    [Fact]
    public async Task Broken_and_partial_code_never_makes_an_analyzer_or_fixer_throw()
    {
        var references = await AnalysisHarness.GetReferencesAsync();
        var sources = Sources();
        Assert.True(sources.Count >= 20, $"expected a real set of sources, found {sources.Count}");

        var failures = new List<string>();
        var variants = 0;
        var diagnostics = 0;
        var stopwatch = Stopwatch.StartNew();
        foreach (var (name, text) in sources)
        {
            foreach (var variant in Variants(text, VariantsPerSource, name.GetHashCode(StringComparison.Ordinal)))
            {
                variants++;
                var compilation = AnalysisHarness.Compile([("Source.cs", variant)], references);
                var (found, analyzerFailures) = await AnalysisHarness.AnalyzeAsync(compilation);
                diagnostics += found.Length;
                failures.AddRange(analyzerFailures.Select(f => $"[{name}] {f}"));
                var fixerFailures = await AnalysisHarness.ExerciseFixersAsync(variant, found, references);
                failures.AddRange(fixerFailures.Select(f => $"[{name}] {f}"));
            }
        }

        output.WriteLine($"{sources.Count} sources, {variants} variants, {diagnostics} KS diagnostics, {AnalysisHarness.Analyzers.Length} analyzers, {AnalysisHarness.Fixers.Length} fixers, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(10)));
    }

    [Fact]
    public async Task Analysis_stops_promptly_when_cancelled()
    {
        var references = await AnalysisHarness.GetReferencesAsync();
        var compilation = AnalysisHarness.Compile(CorpusGenerator.Generate(CorpusKind.Mixed, 30_000, seed: 11), references);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var stopwatch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AnalysisHarness.AnalyzeAsync(compilation, cancellation.Token));
        stopwatch.Stop();
        output.WriteLine($"cancelled after {stopwatch.ElapsedMilliseconds} ms (token fired at 200 ms)");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"analysis took {stopwatch.Elapsed} to honour cancellation");
    }
}
