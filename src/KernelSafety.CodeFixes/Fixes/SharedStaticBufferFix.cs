using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using KernelSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.CodeFixes.Fixes;

/// <summary>
/// KS0006 "Use a local buffer": when every use of the static buffer is in one method, remove the field and allocate
/// a buffer of the same size at the start of that method (<c>var msg = new byte[80];</c>), so each call has its own.
/// Offered only for a field initialized with <c>new T[size]</c> (a buffer with initial contents is a table, not
/// scratch space) whose references all lie in one block-bodied method of the same document.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SharedStaticBufferFix)), Shared]
public sealed class SharedStaticBufferFix : CodeFixProvider
{
    public const string EquivalenceKey = "KS0006.LocalBuffer";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(RuleIdentifiers.SharedStaticBuffer);

    /// <summary>
    /// Fix-all edits each document once with every plan: the batch fixer would drop one of two adjacent field
    /// removals (their text changes touch), leaving a diagnostic behind after one pass.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixDocumentAsync);

    private static async Task<Document?> FixDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var cancellationToken = context.CancellationToken;
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var semanticModel = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null)
        {
            return document;
        }

        var plans = new List<Plan>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            var plan = await PlanAsync(document, root, semanticModel, diagnostic.Location.SourceSpan, cancellationToken).ConfigureAwait(false);

            // Two buffers moved into one method must not get the same name.
            if (plan is not null && !plans.Any(p => p.Method == plan.Method && p.LocalName == plan.LocalName))
            {
                plans.Add(plan);
            }
        }

        return plans.Count == 0 ? document : await ApplyAsync(document, plans, cancellationToken).ConfigureAwait(false);
    }

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        var cancellationToken = context.CancellationToken;
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var semanticModel = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var plan = await PlanAsync(document, root, semanticModel, diagnostic.Location.SourceSpan, cancellationToken).ConfigureAwait(false);
            if (plan is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use a local buffer in '{plan.Method.Identifier.ValueText}'",
                    ct => ApplyAsync(document, new[] { plan }, ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private sealed class Plan
    {
        public Plan(FieldDeclarationSyntax field, ExpressionSyntax initializer, TypeSyntax localType, MethodDeclarationSyntax method, string localName, List<SyntaxNode> references)
        {
            Field = field;
            Initializer = initializer;
            LocalType = localType;
            Method = method;
            LocalName = localName;
            References = references;
        }

        public FieldDeclarationSyntax Field { get; }

        public ExpressionSyntax Initializer { get; }

        public TypeSyntax LocalType { get; }

        public MethodDeclarationSyntax Method { get; }

        public string LocalName { get; }

        /// <summary>The expressions that name the field (<c>msg</c> or <c>Program.msg</c>).</summary>
        public List<SyntaxNode> References { get; }
    }

    private static async Task<Plan?> PlanAsync(Document document, SyntaxNode root, SemanticModel semanticModel, TextSpan span, CancellationToken cancellationToken)
    {
        if (root.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<VariableDeclaratorSyntax>() is not { } declarator
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 } declaration
            || declaration.Parent is not FieldDeclarationSyntax field
            || declarator.Initializer?.Value is not ArrayCreationExpressionSyntax creation
            || creation.Initializer is not null
            || creation.Type.RankSpecifiers.Count != 1
            || creation.Type.RankSpecifiers[0].Sizes.Count != 1
            || creation.Type.RankSpecifiers[0].Sizes[0] is OmittedArraySizeExpressionSyntax
            || semanticModel.GetDeclaredSymbol(declarator, cancellationToken) is not IFieldSymbol symbol)
        {
            return null;
        }

        // Every reference must be in one block-bodied method of this document.
        var referenced = await SymbolFinder.FindReferencesAsync(symbol, document.Project.Solution, cancellationToken).ConfigureAwait(false);
        MethodDeclarationSyntax? method = null;
        var references = new List<SyntaxNode>();
        foreach (var referencedSymbol in referenced)
        {
            foreach (var location in referencedSymbol.Locations)
            {
                if (location.Document.Id != document.Id || location.IsImplicit)
                {
                    return null;
                }

                var name = root.FindNode(location.Location.SourceSpan, getInnermostNodeForTie: true);
                if (name is not IdentifierNameSyntax
                    || name.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { Body: not null } enclosing
                    || method is not null && method != enclosing
                    || IsInStaticFunction(name, enclosing))
                {
                    return null;
                }

                var reference = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
                if (ReadsPreviousContents(reference))
                {
                    // counts[i]++: the contents carry state from call to call; a fresh buffer per call would lose it.
                    return null;
                }

                method = enclosing;
                references.Add(reference);
            }
        }

        if (method is null)
        {
            return null;
        }

        var localName = ChooseName(symbol.Name, method, references);
        if (localName is null)
        {
            return null;
        }

        var creationType = semanticModel.GetTypeInfo(creation, cancellationToken).Type;
        TypeSyntax localType = SymbolEqualityComparer.Default.Equals(creationType, symbol.Type)
            ? SyntaxFactory.IdentifierName("var")
            : declaration.Type.WithoutTrivia();

        return new Plan(field, creation, localType, method, localName, references);
    }

    private static bool ReadsPreviousContents(SyntaxNode reference)
    {
        if (reference.Parent is not ElementAccessExpressionSyntax element || element.Expression != reference)
        {
            return false;
        }

        return element.Parent switch
        {
            PostfixUnaryExpressionSyntax => true,
            PrefixUnaryExpressionSyntax prefix => prefix.IsKind(SyntaxKind.PreIncrementExpression) || prefix.IsKind(SyntaxKind.PreDecrementExpression),
            AssignmentExpressionSyntax assignment => assignment.Left == element && !assignment.IsKind(SyntaxKind.SimpleAssignmentExpression),
            _ => false,
        };
    }

    private static bool IsInStaticFunction(SyntaxNode node, SyntaxNode method)
    {
        for (var current = node.Parent; current is not null && current != method; current = current.Parent)
        {
            switch (current)
            {
                case LocalFunctionStatementSyntax local when local.Modifiers.Any(SyntaxKind.StaticKeyword):
                    return true;
                case AnonymousFunctionExpressionSyntax lambda when lambda.Modifiers.Any(SyntaxKind.StaticKeyword):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The local's name: the field's without its prefix (<c>s_buffer</c>, <c>_buffer</c>, <c>Buffer</c>: <c>buffer</c>),
    /// else the field's own; none when the method already uses the name for something else.
    /// </summary>
    private static string? ChooseName(string fieldName, MethodDeclarationSyntax method, List<SyntaxNode> references)
    {
        var trimmed = fieldName;
        foreach (var prefix in new[] { "s_", "t_", "m_", "_" })
        {
            if (trimmed.StartsWith(prefix, System.StringComparison.Ordinal))
            {
                trimmed = trimmed.Substring(prefix.Length);
                break;
            }
        }

        if (trimmed.Length > 0)
        {
            trimmed = char.ToLowerInvariant(trimmed[0]) + trimmed.Substring(1);
        }

        foreach (var candidate in new[] { trimmed, fieldName })
        {
            if (SyntaxFacts.IsValidIdentifier(candidate)
                && SyntaxFacts.GetKeywordKind(candidate) == SyntaxKind.None
                && SyntaxFacts.GetContextualKeywordKind(candidate) == SyntaxKind.None
                && !IsNameUsed(candidate, method, references))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>True when the method mentions <paramref name="name"/> other than as a reference to the field.</summary>
    private static bool IsNameUsed(string name, MethodDeclarationSyntax method, List<SyntaxNode> references)
    {
        foreach (var token in method.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == name
                && !references.Any(r => r.Span.Contains(token.Span) && r.Span.End == token.Span.End))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<Document> ApplyAsync(Document document, IReadOnlyList<Plan> plans, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        foreach (var plan in plans)
        {
            Apply(editor, plan);
        }

        // The fields go last, line by line: the editor's node removal keeps the field's line break and leaves a
        // blank line where the field was.
        var root = editor.GetChangedRoot();
        while (root.GetAnnotatedNodes(RemovedField).FirstOrDefault() is FieldDeclarationSyntax field)
        {
            root = RemoveFieldLines(root, field);
        }

        return document.WithSyntaxRoot(root);
    }

    private static readonly SyntaxAnnotation RemovedField = new("KS0006.RemovedField");

    /// <summary>
    /// Removes a field with its whole line(s): the comments just above it (up to a blank line or a directive, which
    /// stay) and a trailing comment on its line go with it; the blank lines around it collapse to the one the
    /// surrounding members had (none after the type's opening brace or before its closing brace).
    /// </summary>
    private static SyntaxNode RemoveFieldLines(SyntaxNode root, FieldDeclarationSyntax field)
    {
        if (field.Parent is not TypeDeclarationSyntax type
            || !field.GetTrailingTrivia().Any(SyntaxKind.EndOfLineTrivia))
        {
            // Another declaration on the same line (or no type around it): remove the node alone.
            return root.RemoveNode(field, SyntaxRemoveOptions.KeepExteriorTrivia | SyntaxRemoveOptions.KeepUnbalancedDirectives)!;
        }

        var index = type.Members.IndexOf(field);
        var leading = field.GetLeadingTrivia();

        // Keep the leading trivia up to the last blank line or directive: what follows belongs to the field.
        var keep = 0;
        var lineStart = 0;
        for (var i = 0; i < leading.Count; i++)
        {
            var trivia = leading[i];
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                if (IsBlank(leading, lineStart, i))
                {
                    keep = i + 1;
                }

                lineStart = i + 1;
            }
            else if (trivia.IsDirective || trivia.IsKind(SyntaxKind.DisabledTextTrivia))
            {
                keep = i + 1;
                lineStart = i + 1;
            }
            else if (trivia.HasStructure)
            {
                // A documentation comment ends with its own line break.
                lineStart = i + 1;
            }
        }

        var kept = SyntaxFactory.TriviaList(leading.Take(keep));
        var last = index == type.Members.Count - 1;
        var next = last ? type.CloseBraceToken.LeadingTrivia : type.Members[index + 1].GetLeadingTrivia();

        if (last || StartsWithBlankLine(next))
        {
            // The next member brings its own separation (or the brace needs none): drop the field's.
            kept = TrimTrailingBlankLines(kept);
        }

        if (index == 0 && kept.All(t => t.IsKind(SyntaxKind.WhitespaceTrivia) || t.IsKind(SyntaxKind.EndOfLineTrivia)))
        {
            // Right after the opening brace: no blank line before the next member.
            kept = SyntaxFactory.TriviaList();
            next = TrimLeadingBlankLines(next);
        }

        var members = type.Members.RemoveAt(index);
        TypeDeclarationSyntax updated;
        if (last)
        {
            updated = type.WithMembers(members).WithCloseBraceToken(type.CloseBraceToken.WithLeadingTrivia(kept.AddRange(next)));
        }
        else
        {
            members = members.Replace(members[index], members[index].WithLeadingTrivia(kept.AddRange(next)));
            updated = type.WithMembers(members);
        }

        return root.ReplaceNode(type, updated);
    }

    private static bool IsBlank(SyntaxTriviaList trivia, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            if (!trivia[i].IsKind(SyntaxKind.WhitespaceTrivia))
            {
                return false;
            }
        }

        return true;
    }

    private static bool StartsWithBlankLine(SyntaxTriviaList trivia)
    {
        foreach (var t in trivia)
        {
            if (t.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return true;
            }

            if (!t.IsKind(SyntaxKind.WhitespaceTrivia))
            {
                return false;
            }
        }

        return false;
    }

    private static SyntaxTriviaList TrimLeadingBlankLines(SyntaxTriviaList trivia)
    {
        var start = 0;
        for (var i = 0; i < trivia.Count; i++)
        {
            if (trivia[i].IsKind(SyntaxKind.EndOfLineTrivia))
            {
                start = i + 1;
            }
            else if (!trivia[i].IsKind(SyntaxKind.WhitespaceTrivia))
            {
                break;
            }
        }

        return SyntaxFactory.TriviaList(trivia.Skip(start));
    }

    private static SyntaxTriviaList TrimTrailingBlankLines(SyntaxTriviaList trivia)
    {
        // kept ends at a line start; drop the whitespace-only lines at its end.
        var end = trivia.Count;
        var lineStart = end;
        while (lineStart > 0)
        {
            var i = lineStart - 1;
            if (!trivia[i].IsKind(SyntaxKind.EndOfLineTrivia))
            {
                break;
            }

            var start = i;
            while (start > 0 && trivia[start - 1].IsKind(SyntaxKind.WhitespaceTrivia))
            {
                start--;
            }

            if (start > 0 && !trivia[start - 1].IsKind(SyntaxKind.EndOfLineTrivia) && !trivia[start - 1].HasStructure)
            {
                // The line holds something else (a comment): keep it.
                break;
            }

            lineStart = start;
        }

        return SyntaxFactory.TriviaList(trivia.Take(lineStart));
    }

    private static bool IsBufferDeclaration(StatementSyntax statement)
        => statement is LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables }
            && variables[0].Initializer?.Value is ArrayCreationExpressionSyntax { Initializer: null };

    private static void Apply(DocumentEditor editor, Plan plan)
    {
        foreach (var reference in plan.References)
        {
            editor.ReplaceNode(reference, SyntaxFactory.IdentifierName(plan.LocalName).WithTriviaFrom(reference));
        }

        var local = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    plan.LocalType,
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(plan.LocalName))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(plan.Initializer.WithoutTrivia())))))
            .WithAdditionalAnnotations(Formatter.Annotation);

        // At the start of the method, after the buffers already declared there (a buffer moved in earlier),
        // so moving several buffers keeps their declaration order.
        var body = plan.Method.Body!;
        var index = 0;
        while (index < body.Statements.Count && IsBufferDeclaration(body.Statements[index]))
        {
            index++;
        }

        if (index < body.Statements.Count)
        {
            editor.InsertBefore(body.Statements[index], local);
        }
        else if (index > 0)
        {
            editor.InsertAfter(body.Statements[index - 1], local);
        }
        else
        {
            editor.ReplaceNode(body, body.AddStatements(local));
        }

        editor.ReplaceNode(plan.Field, (current, _) => current.WithAdditionalAnnotations(RemovedField));
    }
}
