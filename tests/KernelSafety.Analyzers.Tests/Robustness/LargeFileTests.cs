using System.Text;
using KernelSafety.Testing.Corpus;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Tests.Robustness;

/// <summary>
/// The compiler reads a source file of 80 KB or more into a chunked text, not one string, and the rules' text searches
/// read a tree's text as a string (TreeText). A large file read from a stream must give exactly the findings of the
/// same file parsed from a string.
/// </summary>
public class LargeFileTests
{
    [Fact]
    public async Task A_large_file_read_from_a_stream_gives_the_findings_of_the_same_text_as_a_string()
    {
        var references = await AnalysisHarness.GetReferencesAsync();
        var files = CorpusGenerator.Generate(CorpusKind.Mixed, 3_000, seed: 11);

        // The corpus file with the most findings, padded with ordinary classes past the chunked-text threshold.
        var plain = AnalysisHarness.Compile(files, references);
        var (plainDiagnostics, plainFailures) = await AnalysisHarness.AnalyzeAsync(plain);
        Assert.Empty(plainFailures);
        var busiest = plainDiagnostics.GroupBy(d => d.Location.SourceTree!.FilePath).OrderByDescending(g => g.Count()).First().Key;
        var padding = new StringBuilder();
        for (var i = 0; padding.Length < 200_000; i++)
        {
            padding.Append("\nsealed class Padding").Append(i).Append(" { public int Next(int value) => value * 31 + ").Append(i).Append("; }\n");
        }

        var large = files.Select(f => f.Path == busiest ? (f.Path, Text: f.Text + padding) : f).ToList();
        var fromString = AnalysisHarness.Compile(large, references);
        var streamText = SourceText.From(new MemoryStream(Encoding.UTF8.GetBytes(large.Single(f => f.Path == busiest).Text)));
        Assert.NotEqual("StringText", streamText.GetType().Name); // the chunked text this test is about
        var stringTree = fromString.SyntaxTrees.Single(t => t.FilePath == busiest);
        var fromStream = fromString.ReplaceSyntaxTree(stringTree, CSharpSyntaxTree.ParseText(streamText, (CSharpParseOptions)stringTree.Options, busiest));

        var (expected, stringFailures) = await AnalysisHarness.AnalyzeAsync(fromString);
        var (actual, streamFailures) = await AnalysisHarness.AnalyzeAsync(fromStream);
        Assert.Empty(stringFailures);
        Assert.Empty(streamFailures);

        static List<string> InBusiest(IEnumerable<Diagnostic> diagnostics, string path) => diagnostics
            .Where(d => d.Location.SourceTree!.FilePath == path)
            .Select(d => $"{d.Id} {d.Location.GetLineSpan().Span} {d.GetMessage()}")
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

        var expectedInFile = InBusiest(expected, busiest);
        Assert.NotEmpty(expectedInFile);
        Assert.Equal(expectedInFile, InBusiest(actual, busiest));
    }
}
