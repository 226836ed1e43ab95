using System.Reflection;
using System.Text.RegularExpressions;
using KernelSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KernelSafety.Analyzers.Tests;

/// <summary>The catalogue, the code, the docs and the release tracking must agree.</summary>
public class RuleCatalogTests
{
    private static readonly (string Id, string Title, DiagnosticSeverity Severity)[] Catalogue =
    [
        ("KS0001", "Copy length is not bounded by the source and destination", DiagnosticSeverity.Warning),
        ("KS0002", "Socket setup result is ignored", DiagnosticSeverity.Warning),
        ("KS0003", "Port byte order does not match its destination", DiagnosticSeverity.Warning),
        ("KS0004", "Send uses a fixed size instead of the valid length", DiagnosticSeverity.Warning),
        ("KS0005", "Send result is ignored or misread", DiagnosticSeverity.Warning),
        ("KS0006", "Static buffer is shared by concurrent writers", DiagnosticSeverity.Warning),
        ("KS0007", "Connection is opened for every write", DiagnosticSeverity.Info),
    ];

    public static TheoryData<string> RuleIds() => new(Catalogue.Select(r => r.Id));

    private static IEnumerable<DiagnosticDescriptor> AllDescriptors()
        => typeof(DiagnosticDescriptors)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    private static IEnumerable<DiagnosticAnalyzer> AllAnalyzers()
        => typeof(RuleIdentifiers).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!);

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KernelSafety.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("KernelSafety.sln not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Descriptor_matches_the_catalogue(string id)
    {
        var expected = Catalogue.Single(r => r.Id == id);
        var descriptor = Assert.Single(AllDescriptors(), d => d.Id == id);
        Assert.Equal(expected.Title, descriptor.Title.ToString());
        Assert.Equal(expected.Severity, descriptor.DefaultSeverity);
        Assert.Equal("KernelSafety", descriptor.Category);
        Assert.True(descriptor.IsEnabledByDefault);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Help_link_points_at_an_existing_docs_page(string id)
    {
        var descriptor = Assert.Single(AllDescriptors(), d => d.Id == id);
        Assert.Equal($"https://github.com/kernelsafety/kernelsafety/blob/main/docs/rules/{id}.md", descriptor.HelpLinkUri);
        var page = Path.Combine(RepositoryRoot(), "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"missing {page}");
        var text = File.ReadAllText(page);
        Assert.StartsWith($"# {id}", text);
        Assert.Contains(descriptor.Title.ToString(), text);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Exactly_one_analyzer_reports_the_rule(string id)
    {
        var owners = AllAnalyzers().Where(a => a.SupportedDiagnostics.Any(d => d.Id == id)).ToList();
        Assert.Single(owners);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Readme_table_links_the_rule_page(string id)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var title = Catalogue.Single(r => r.Id == id).Title;
        Assert.Matches(new Regex(@"\[" + id + @"\]\(docs/rules/" + id + @"\.md\)\s*\|\s*" + Regex.Escape(title)), readme);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Release_tracking_lists_the_rule(string id)
    {
        var root = RepositoryRoot();
        var shipped = File.ReadAllText(Path.Combine(root, "src", "KernelSafety.Analyzers", "AnalyzerReleases.Shipped.md"));
        var unshipped = File.ReadAllText(Path.Combine(root, "src", "KernelSafety.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.True(Regex.IsMatch(shipped + unshipped, "^" + id + @"\s*\|", RegexOptions.Multiline), id + " is not in release tracking");
    }

    [Fact]
    public void Every_fixable_id_is_a_catalogue_id_and_every_fixer_has_fix_all()
    {
        var fixers = typeof(KernelSafety.CodeFixes.FixerAssemblyMarker).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToList();
        foreach (var fixer in fixers)
        {
            Assert.NotNull(fixer.GetFixAllProvider());
            Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(Catalogue, r => r.Id == id));
        }
    }

    [Fact]
    public void Every_analyzer_supports_concurrency_and_skips_generated_code()
    {
        foreach (var analyzer in AllAnalyzers())
        {
            var context = new RecordingContext();
            analyzer.Initialize(context);
            Assert.True(context.Concurrent, analyzer.GetType().Name + " does not enable concurrent execution");
            // Callbacks never run in generated code (no Analyze flag); findings are filtered by the rules themselves
            // (ReportDiagnostics: see Analysis/GeneratedCode.cs, and GeneratedCodeTests for what is skipped).
            Assert.Equal(GeneratedCodeAnalysisFlags.ReportDiagnostics, context.GeneratedCodeFlags);
        }
    }

    private sealed class RecordingContext : AnalysisContext
    {
        public bool Concurrent { get; private set; }
        public GeneratedCodeAnalysisFlags? GeneratedCodeFlags { get; private set; }
        public override void EnableConcurrentExecution() => Concurrent = true;
        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => GeneratedCodeFlags = analysisMode;
        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) { }
        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) { }
        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) { }
        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, System.Collections.Immutable.ImmutableArray<SymbolKind> symbolKinds) { }
        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) { }
        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) { }
        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) { }
        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, System.Collections.Immutable.ImmutableArray<TLanguageKindEnum> syntaxKinds) { }
    }
}
