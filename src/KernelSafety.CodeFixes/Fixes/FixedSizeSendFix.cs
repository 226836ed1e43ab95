using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using KernelSafety.Analyzers;
using KernelSafety.Analyzers.Rules;
using KernelSafety.CodeFixes.Editing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace KernelSafety.CodeFixes.Fixes;

/// <summary>
/// KS0004 fix: send the valid length instead of the constant or the whole buffer:
/// <c>Send(msg, 0, 80, ...)</c> to <c>Send(msg, 0, len, ...)</c>, <c>Write(buf)</c> to <c>Write(buf.AsSpan(0, n))</c>,
/// <c>WriteAsync(buf)</c> to <c>WriteAsync(buf.AsMemory(0, n))</c>, <c>GetString(buf)</c> to <c>GetString(buf, 0, n)</c>,
/// native <c>send(fd, msg, 80, 0)</c> to <c>send(fd, msg, (nuint)len, 0)</c> (cast only when the parameter needs it).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FixedSizeSendFix)), Shared]
public sealed class FixedSizeSendFix : CodeFixProvider
{
    public const string EquivalenceKey = "KS0004.SendValidLength";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.FixedSizeSend);

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
            if (!diagnostic.Properties.TryGetValue(FixedSizeSendAnalyzer.FixKindProperty, out var fixKind) || fixKind is null
                || !diagnostic.Properties.TryGetValue(FixedSizeSendAnalyzer.ValidLengthProperty, out var validLength) || validLength is null
                || diagnostic.AdditionalLocations.Count < 2)
            {
                continue;
            }

            var target = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) as ExpressionSyntax;
            var buffer = root.FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) as ExpressionSyntax;
            if (target is null || buffer is null)
            {
                continue;
            }

            if (fixKind == FixedSizeSendAnalyzer.FixExpand
                && (target.Parent is not ArgumentSyntax { NameColon: null, RefKindKeyword.RawKind: 0 } argument
                    || argument.Parent is not ArgumentListSyntax argumentList
                    || argumentList.Arguments.Any(a => a.NameColon is not null)))
            {
                continue;
            }

            var addFlags = diagnostic.Properties.TryGetValue(FixedSizeSendAnalyzer.AddSocketFlagsProperty, out var flags) && flags == "true";
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Send the valid length '{validLength}'",
                    cancellationToken => ApplyAsync(context.Document, target, buffer, fixKind, validLength, addFlags, cancellationToken),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(
        Document document,
        ExpressionSyntax target,
        ExpressionSyntax buffer,
        string fixKind,
        string validLengthText,
        bool addFlags,
        CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var validLength = SyntaxFactory.ParseExpression(validLengthText);
        var int32 = model.Compilation.GetSpecialType(SpecialType.System_Int32);
        var needsSystem = false;
        SyntaxNode oldNode = target;
        SyntaxNode newNode;

        switch (fixKind)
        {
            case FixedSizeSendAnalyzer.FixCount:
                newNode = ConvertTo(validLength, GetParameterType(model, target, cancellationToken) ?? int32, model, target.SpanStart)
                    .WithTriviaFrom(target);
                break;

            case FixedSizeSendAnalyzer.FixSpan:
            case FixedSizeSendAnalyzer.FixMemory:
                var method = fixKind == FixedSizeSendAnalyzer.FixSpan ? "AsSpan" : "AsMemory";
                var view = SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, buffer.WithoutTrivia(), SyntaxFactory.IdentifierName(method)),
                    Arguments(Zero(), ConvertTo(validLength, int32, model, target.SpanStart)));
                needsSystem = model.GetSpeculativeSymbolInfo(target.SpanStart, view, SpeculativeBindingOption.BindAsExpression).Symbol is null;
                newNode = view.WithTriviaFrom(target);
                break;

            case FixedSizeSendAnalyzer.FixSegment:
                newNode = SyntaxFactory.ObjectCreationExpression(
                        SyntaxFactory.ParseTypeName("global::System.ArraySegment<byte>").WithAdditionalAnnotations(Simplifier.Annotation),
                        Arguments(buffer.WithoutTrivia(), Zero(), ConvertTo(validLength, int32, model, target.SpanStart)),
                        initializer: null)
                    .WithTriviaFrom(target);
                break;

            case FixedSizeSendAnalyzer.FixExpand:
                if (target.Parent is not ArgumentSyntax argument || argument.Parent is not ArgumentListSyntax argumentList)
                {
                    return document;
                }

                var index = argumentList.Arguments.IndexOf(argument);
                var arguments = argumentList.Arguments
                    .Insert(index + 1, SyntaxFactory.Argument(Zero()))
                    .Insert(index + 2, SyntaxFactory.Argument(ConvertTo(validLength, int32, model, target.SpanStart)));
                if (addFlags)
                {
                    var none = SyntaxFactory.ParseExpression("global::System.Net.Sockets.SocketFlags.None").WithAdditionalAnnotations(Simplifier.Annotation);
                    arguments = arguments.Insert(index + 3, SyntaxFactory.Argument(none));
                }

                oldNode = argumentList;
                newNode = argumentList.WithArguments(arguments).WithAdditionalAnnotations(Formatter.Annotation);
                break;

            default:
                return document;
        }

        var newRoot = root.ReplaceNode(oldNode, newNode.WithAdditionalAnnotations(Formatter.Annotation));
        if (needsSystem && newRoot is CompilationUnitSyntax unit)
        {
            // AsSpan/AsMemory are extension methods in System.
            newRoot = Imports.Add(unit, "System");
        }

        return document.WithSyntaxRoot(newRoot);
    }

    private static ArgumentListSyntax Arguments(params ExpressionSyntax[] expressions)
        => SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(
            expressions.Select(SyntaxFactory.Argument),
            Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), expressions.Length - 1)));

    private static ExpressionSyntax Zero()
        => SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0));

    /// <summary>The type of the parameter the expression is passed to (through AsSpan/ArraySegment arguments too).</summary>
    private static ITypeSymbol? GetParameterType(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        for (var operation = model.GetOperation(expression, cancellationToken); operation is not null; operation = operation.Parent)
        {
            if (operation is IArgumentOperation argument)
            {
                return argument.Parameter?.Type;
            }
        }

        return null;
    }

    /// <summary><paramref name="value"/>, cast to <paramref name="type"/> when it does not convert implicitly (int to nuint).</summary>
    private static ExpressionSyntax ConvertTo(ExpressionSyntax value, ITypeSymbol type, SemanticModel model, int position)
    {
        var valueType = model.GetSpeculativeTypeInfo(position, value, SpeculativeBindingOption.BindAsExpression).Type;
        if (valueType is null || valueType.TypeKind == TypeKind.Error || model.Compilation.ClassifyConversion(valueType, type).IsImplicit)
        {
            return value;
        }

        var typeSyntax = SyntaxFactory.ParseTypeName(type.ToMinimalDisplayString(model, position));
        var operand = value is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax
                or InvocationExpressionSyntax or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax
            ? value
            : SyntaxFactory.ParenthesizedExpression(value);
        return SyntaxFactory.CastExpression(typeSyntax, operand).WithAdditionalAnnotations(Simplifier.Annotation);
    }
}
