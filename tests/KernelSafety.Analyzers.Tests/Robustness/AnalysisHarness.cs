using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Tests.Robustness;

/// <summary>
/// Runs every KernelSafety analyzer and fixer over arbitrary (possibly broken) C#, outside the test
/// framework, collecting analyzer exceptions, AD0001 and fixer exceptions instead of stopping at the first.
/// </summary>
internal static class AnalysisHarness
{
    private static readonly Lazy<Task<ImmutableArray<MetadataReference>>> References = new(
        () => Verifiers.TestReferences.Default.ResolveAsync(LanguageNames.CSharp, CancellationToken.None));

    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = typeof(RuleIdentifiers).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static ImmutableArray<CodeFixProvider> Fixers { get; } = typeof(KernelSafety.CodeFixes.FixerAssemblyMarker).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static async Task<ImmutableArray<MetadataReference>> GetReferencesAsync() => await References.Value;

    /// <summary>
    /// The C# files under <paramref name="directories"/> (those that exist; build output left out), in path order, each
    /// named by its path from the repository's root.
    /// </summary>
    public static List<(string Path, string Text)> ReadSources(params string[] directories)
    {
        var root = RuleCatalogTests.RepositoryRoot();
        var separator = Path.DirectorySeparatorChar;
        return directories
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !p.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => (Path.GetRelativePath(root, p), File.ReadAllText(p)))
            .ToList();
    }

    public static CSharpCompilation Compile(IEnumerable<(string Path, string Text)> files, ImmutableArray<MetadataReference> references)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parseOptions, f.Path)).ToList();
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
            .WithAllowUnsafe(true)
            .WithNullableContextOptions(NullableContextOptions.Enable);
        return CSharpCompilation.Create("Robustness", trees, references, options);
    }

    /// <summary>Runs the analyzers; returns their diagnostics and every failure (exception or AD0001) found.</summary>
    public static async Task<(ImmutableArray<Diagnostic> Diagnostics, List<string> Failures)> AnalyzeAsync(
        Compilation compilation, CancellationToken cancellationToken = default, AnalyzerOptions? options = null)
    {
        if (Analyzers.IsEmpty)
        {
            throw new InvalidOperationException("no KernelSafety analyzers were found in the analyzer assembly");
        }

        var failures = new ConcurrentBag<string>();
        var withAnalyzers = compilation.WithAnalyzers(
            Analyzers,
            new CompilationWithAnalyzersOptions(
                options ?? new AnalyzerOptions([]),
                onAnalyzerException: (ex, analyzer, _) => failures.Add($"{analyzer.GetType().Name} threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}"),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false));
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(cancellationToken);
        foreach (var d in diagnostics)
        {
            if (d.Id == "AD0001")
            {
                failures.Add(d.ToString());
            }
        }

        return (diagnostics.Where(d => d.Id.StartsWith("KS", StringComparison.Ordinal)).ToImmutableArray(), failures.ToList());
    }

    /// <summary>Asks every fixer for its fixes of every diagnostic and computes each fix's changed document.</summary>
    public static async Task<List<string>> ExerciseFixersAsync(string source, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<MetadataReference> references)
    {
        var failures = new List<string>();
        if (diagnostics.IsEmpty)
        {
            return failures;
        }

        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Robustness", "Robustness", LanguageNames.CSharp)
                .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary).WithAllowUnsafe(true).WithNullableContextOptions(NullableContextOptions.Enable))
                .WithParseOptions(new CSharpParseOptions(LanguageVersion.Latest))
                .WithMetadataReferences(references))
            .AddDocument(documentId, "Source.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;
        var tree = await document.GetSyntaxTreeAsync();

        foreach (var diagnostic in diagnostics)
        {
            // Re-home the diagnostic on the workspace document's tree (same text, same span).
            var located = Diagnostic.Create(diagnostic.Descriptor, Location.Create(tree!, diagnostic.Location.SourceSpan), diagnostic.Properties, diagnostic.GetMessage());
            foreach (var fixer in Fixers)
            {
                if (!fixer.FixableDiagnosticIds.Contains(diagnostic.Id))
                {
                    continue;
                }

                try
                {
                    var actions = new List<CodeAction>();
                    var context = new CodeFixContext(document, located, (a, _) => actions.Add(a), CancellationToken.None);
                    await fixer.RegisterCodeFixesAsync(context);
                    foreach (var action in actions)
                    {
                        foreach (var operation in await action.GetOperationsAsync(CancellationToken.None))
                        {
                            if (operation is ApplyChangesOperation apply)
                            {
                                var changed = apply.ChangedSolution.GetDocument(documentId);
                                if (changed is not null)
                                {
                                    _ = await changed.GetTextAsync();
                                }
                            }
                        }
                    }
                }
                catch (Exception ex)
                {
                    failures.Add($"{fixer.GetType().Name} threw on {diagnostic.Id} at {diagnostic.Location.SourceSpan}: {ex}");
                }
            }
        }

        return failures;
    }
}
