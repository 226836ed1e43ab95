using KernelSafety.Testing.Corpus;
using Xunit.Abstractions;

namespace KernelSafety.Analyzers.Tests.Robustness;

/// <summary>
/// A false warning costs more than a missed one. Correct socket and interop code — generated in bulk,
/// plus KernelSafety's own runtime library and the device bridge sample, which are written to be correct —
/// must produce no KernelSafety diagnostic. Every diagnostic found is printed so it can be judged.
/// </summary>
public class QuietOnCorrectCodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Generated_correct_socket_and_interop_code_has_no_diagnostics()
    {
        var references = await AnalysisHarness.GetReferencesAsync();
        var files = CorpusGenerator.Generate(CorpusKind.CorrectSockets, 20_000, seed: 5);
        var compilation = AnalysisHarness.Compile(files, references);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).Take(5).ToList();
        Assert.True(errors.Count == 0, "the generated corpus must compile: " + string.Join("\n", errors));

        var (diagnostics, failures) = await AnalysisHarness.AnalyzeAsync(compilation);
        Report(files.Count, diagnostics);
        Assert.Empty(failures);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task The_runtime_library_and_device_bridge_have_no_diagnostics()
    {
        var root = RuleCatalogTests.RepositoryRoot();
        var folders = new[] { Path.Combine(root, "src", "KernelSafety.Runtime"), Path.Combine(root, "samples", "DeviceBridge") }
            .Where(Directory.Exists);
        var files = folders
            .SelectMany(f => Directory.EnumerateFiles(f, "*.cs", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (Path.GetRelativePath(root, p), File.ReadAllText(p)))
            .ToList();
        if (files.Count == 0)
        {
            return;
        }

        var globalUsings = ("GlobalUsings.cs", string.Join("\n", new[] { "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading", "System.Threading.Tasks", "System.Net.Http" }.Select(n => $"global using global::{n};")));
        var compilation = AnalysisHarness.Compile(files.Append(globalUsings), await AnalysisHarness.GetReferencesAsync());
        var (diagnostics, failures) = await AnalysisHarness.AnalyzeAsync(compilation);
        Report(files.Count, diagnostics);
        Assert.Empty(failures);
        Assert.Empty(diagnostics);
    }

    private void Report(int fileCount, IReadOnlyCollection<Microsoft.CodeAnalysis.Diagnostic> diagnostics)
    {
        output.WriteLine($"{fileCount} files, {diagnostics.Count} KernelSafety diagnostics");
        foreach (var d in diagnostics)
        {
            output.WriteLine(d.ToString());
        }
    }
}
