using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using KernelSafety.Analyzers;
using KernelSafety.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KernelSafety.CodeFixes.Fixes;

/// <summary>
/// KS0001 fixes. "Clamp the copy length" replaces the count by <c>Math.Min(count, capacity)</c> (the method's
/// length parameter when the source is a caller's buffer; for <c>Buffer.MemoryCopy</c> it also passes the
/// destination's real size). "Reject oversized input" inserts
/// <c>if (count &gt; capacity) throw new ArgumentOutOfRangeException(...)</c> before the statement.
/// The analyzer computes both expressions and passes them as diagnostic properties.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UncheckedCopyLengthFix)), Shared]
public sealed class UncheckedCopyLengthFix : CodeFixProvider
{
    public const string ClampKey = "KS0001.Clamp";
    public const string GuardKey = "KS0001.Guard";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.UncheckedCopyLength);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var properties = diagnostic.Properties;
            if (properties.TryGetValue(UncheckedCopyLengthAnalyzer.ClampProperty, out var clamp) && clamp is not null
                && diagnostic.AdditionalLocations.Count >= 1
                && root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax)
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Clamp the copy length", ct => ClampAsync(context.Document, diagnostic, ct), ClampKey),
                    diagnostic);
            }

            if (properties.TryGetValue(UncheckedCopyLengthAnalyzer.GuardConditionProperty, out var condition) && condition is not null
                && FindStatement(root, diagnostic) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Reject oversized input", ct => GuardAsync(context.Document, diagnostic, ct), GuardKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> ClampAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var root = editor.OriginalRoot;
        var count = (ExpressionSyntax)root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
        var clamp = Shorten(diagnostic.Properties[UncheckedCopyLengthAnalyzer.ClampProperty]!, editor.SemanticModel, count.SpanStart);
        editor.ReplaceNode(count, Parse(clamp, count));

        if (diagnostic.Properties.TryGetValue(UncheckedCopyLengthAnalyzer.DestinationSizeProperty, out var size) && size is not null
            && diagnostic.AdditionalLocations.Count >= 2
            && root.FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax destinationSize)
        {
            editor.ReplaceNode(destinationSize, Parse(size, destinationSize));
        }

        return editor.GetChangedDocument();
    }

    private static async Task<Document> GuardAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var statement = FindStatement(editor.OriginalRoot, diagnostic);
        if (statement is null)
        {
            return document;
        }

        var properties = diagnostic.Properties;
        var subject = properties[UncheckedCopyLengthAnalyzer.GuardSubjectProperty]!;
        var paramName = properties[UncheckedCopyLengthAnalyzer.GuardSubjectIsNameProperty] == "true"
            ? "nameof(" + subject + ")"
            : SymbolDisplay.FormatLiteral(subject, quote: true);
        var message = SymbolDisplay.FormatLiteral(properties[UncheckedCopyLengthAnalyzer.GuardMessageProperty] ?? "", quote: true);
        var newLine = NewLine(editor.OriginalRoot);
        var text = $"if ({properties[UncheckedCopyLengthAnalyzer.GuardConditionProperty]}){newLine}{{{newLine}throw new System.ArgumentOutOfRangeException({paramName}, {message});{newLine}}}";
        var guard = SyntaxFactory.ParseStatement(Shorten(text, editor.SemanticModel, statement.SpanStart))
            .WithTrailingTrivia(SyntaxFactory.EndOfLine(newLine), SyntaxFactory.EndOfLine(newLine))
            .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation);

        editor.InsertBefore(statement, guard);
        return editor.GetChangedDocument();
    }

    /// <summary>The statement holding the copy, when it sits in a block or switch section a guard can precede.</summary>
    private static StatementSyntax? FindStatement(SyntaxNode root, Diagnostic diagnostic)
    {
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        for (; node is not null; node = node.Parent)
        {
            if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                return null;
            }

            if (node is StatementSyntax statement)
            {
                return statement.Parent is BlockSyntax or SwitchSectionSyntax ? statement : null;
            }
        }

        return null;
    }

    /// <summary>Writes <c>Math</c> and <c>ArgumentOutOfRangeException</c> unqualified where <c>System</c> is imported.</summary>
    private static string Shorten(string text, SemanticModel model, int position)
    {
        foreach (var name in new[] { "Math", "ArgumentOutOfRangeException" })
        {
            foreach (var symbol in model.LookupNamespacesAndTypes(position, name: name))
            {
                if (symbol is INamedTypeSymbol { ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
                {
                    text = text.Replace("System." + name, name);
                    break;
                }
            }
        }

        return text;
    }

    private static string NewLine(SyntaxNode root)
    {
        foreach (var trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia.ToString();
            }
        }

        return "\n";
    }

    private static ExpressionSyntax Parse(string text, ExpressionSyntax replaced)
        => SyntaxFactory.ParseExpression(text)
            .WithTriviaFrom(replaced)
            .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation);
}
