using System.Collections.Immutable;
using System.Composition;
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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace KernelSafety.CodeFixes.Fixes;

/// <summary>
/// KS0003 fixes. "Convert": convert the port where it enters its destination, with an expression that is
/// right on little- and big-endian machines for every port 0..65535 and compiles in a checked context:
/// <c>unchecked((ushort)IPAddress.HostToNetworkOrder((short)port))</c> (<c>short</c> destinations drop the outer cast;
/// host-order destinations use <c>NetworkToHostOrder</c>); little-endian writers become their big-endian twins.
/// "Remove the conversion": a host-order destination given <c>htons(port)</c> gets <c>port</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PortByteOrderFix)), Shared]
public sealed class PortByteOrderFix : CodeFixProvider
{
    /// <summary>
    /// One equivalence key for every variant: each diagnostic offers exactly one of them, so fix-all (and
    /// <c>dotnet format analyzers</c>, which applies one key per pass) fixes every KS0003 in a single pass.
    /// </summary>
    public const string EquivalenceKey = "KS0003.FixByteOrder";

    private const string SystemNet = "System.Net";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.PortByteOrder);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(PortByteOrderAnalyzer.FixProperty, out var fix) || diagnostic.AdditionalLocations.Count == 0)
            {
                continue;
            }

            switch (fix)
            {
                case PortByteOrderAnalyzer.FixToNetwork:
                    Register(context, diagnostic, "Convert the port to network byte order", EquivalenceKey);
                    break;
                case PortByteOrderAnalyzer.FixToHost:
                    Register(context, diagnostic, "Convert the port to host byte order", EquivalenceKey);
                    break;
                case PortByteOrderAnalyzer.FixBigEndianWriter:
                    Register(context, diagnostic, "Write the port in big-endian (network) order", EquivalenceKey);
                    break;
                case PortByteOrderAnalyzer.FixRemoveConversion when diagnostic.AdditionalLocations.Count > 1:
                    Register(context, diagnostic, "Remove the extra byte-order conversion", EquivalenceKey);
                    break;
                case PortByteOrderAnalyzer.FixNarrowToNetwork or PortByteOrderAnalyzer.FixNarrowToHost when diagnostic.AdditionalLocations.Count > 1:
                    Register(context, diagnostic, "Convert the port as a 16-bit value", EquivalenceKey);
                    break;
            }
        }

        return Task.CompletedTask;
    }

    private static void Register(CodeFixContext context, Diagnostic diagnostic, string title, string key)
        => context.RegisterCodeFix(
            CodeAction.Create(title, ct => ApplyAsync(context.Document, diagnostic, ct), key),
            diagnostic);

    private static async Task<Document> ApplyAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null
            || !diagnostic.Properties.TryGetValue(PortByteOrderAnalyzer.FixProperty, out var fix)
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax value)
        {
            return document;
        }

        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        switch (fix)
        {
            case PortByteOrderAnalyzer.FixToNetwork or PortByteOrderAnalyzer.FixToHost or PortByteOrderAnalyzer.FixNarrowToNetwork or PortByteOrderAnalyzer.FixNarrowToHost:
            {
                diagnostic.Properties.TryGetValue(PortByteOrderAnalyzer.DestinationTypeProperty, out var destinationType);
                var narrow = fix is PortByteOrderAnalyzer.FixNarrowToNetwork or PortByteOrderAnalyzer.FixNarrowToHost;
                ExpressionSyntax? swapped = null;
                if (narrow
                    && (diagnostic.AdditionalLocations.Count < 2
                        || (swapped = root.FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) as ExpressionSyntax) is null
                        || !value.Span.Contains(swapped.Span)))
                {
                    return document;
                }

                // The 32-bit conversion's argument is the port itself: convert that as 16 bits in place of the whole value.
                var operand = StripIntegralCasts(swapped ?? value, editor.SemanticModel, cancellationToken);
                var method = fix is PortByteOrderAnalyzer.FixToNetwork or PortByteOrderAnalyzer.FixNarrowToNetwork ? "HostToNetworkOrder" : "NetworkToHostOrder";
                var ipAddressType = IPAddressName(editor.SemanticModel, value, root, out var addUsing);
                var converted = Convert(ipAddressType, operand, method, destinationType).WithTriviaFrom(value);
                if (value.Parent is ArgumentSyntax argument && !argument.RefKindKeyword.IsKind(SyntaxKind.None))
                {
                    // MemoryMarshal.Write(span, in port): an 'in' argument must be a variable; the converted value is not.
                    editor.ReplaceNode(argument, Argument(argument.NameColon, default, converted).WithTriviaFrom(argument));
                }
                else
                {
                    editor.ReplaceNode(value, converted);
                }

                if (addUsing)
                {
                    editor.ReplaceNode(root, (current, _) => current is CompilationUnitSyntax unit && !Imports.Has(unit, SystemNet) ? Imports.Add(unit, SystemNet) : current);
                }

                break;
            }

            case PortByteOrderAnalyzer.FixRemoveConversion:
            {
                if (root.FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax input
                    || !value.Span.Contains(input.Span))
                {
                    return document;
                }

                editor.ReplaceNode(value, input.WithoutTrivia().WithTriviaFrom(value).WithAdditionalAnnotations(Formatter.Annotation));
                break;
            }

            case PortByteOrderAnalyzer.FixBigEndianWriter:
            {
                if (!diagnostic.Properties.TryGetValue(PortByteOrderAnalyzer.WriterProperty, out var writer)
                    || writer is null
                    || value.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } })
                {
                    return document;
                }

                SimpleNameSyntax? name = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax memberAccess => memberAccess.Name,
                    IdentifierNameSyntax identifier => identifier,
                    _ => null,
                };

                if (name is null)
                {
                    return document;
                }

                editor.ReplaceNode(name, IdentifierName(writer).WithTriviaFrom(name));
                break;
            }

            default:
                return document;
        }

        return editor.GetChangedDocument();
    }

    /// <summary>
    /// <c>IPAddress</c> when it already binds to System.Net.IPAddress at the fix; otherwise <c>IPAddress</c> plus a
    /// <c>using System.Net;</c> when the file has compilation-unit usings (whose line ending it copies) and nothing else
    /// named IPAddress is in scope;
    /// else the qualified name, left to the simplifier.
    /// </summary>
    private static ExpressionSyntax IPAddressName(SemanticModel model, ExpressionSyntax at, SyntaxNode root, out bool addUsing)
    {
        addUsing = false;
        var ipAddress = model.Compilation.GetTypeByMetadataName(SystemNet + ".IPAddress");
        var inScope = model.LookupNamespacesAndTypes(at.SpanStart, name: "IPAddress");
        if (ipAddress is not null && inScope.Length == 1 && SymbolEqualityComparer.Default.Equals(inScope[0], ipAddress))
        {
            return IdentifierName("IPAddress");
        }

        if (ipAddress is not null && inScope.IsEmpty && root is CompilationUnitSyntax { Usings.Count: > 0 } compilationUnit && !Imports.Has(compilationUnit, SystemNet))
        {
            addUsing = true;
            return IdentifierName("IPAddress");
        }

        return ParseExpression("global::System.Net.IPAddress").WithAdditionalAnnotations(Simplifier.Annotation);
    }

    /// <summary>
    /// <c>unchecked((ushort)IPAddress.HostToNetworkOrder((short)operand))</c>: the 16-bit swap is a no-op on big-endian
    /// machines, <c>unchecked</c> keeps ports above 32767 from throwing in a checked context, and the outer cast
    /// gives back the unsigned 16-bit value (widened implicitly for <c>int</c>/<c>uint</c> destinations).
    /// </summary>
    private static ExpressionSyntax Convert(ExpressionSyntax ipAddress, ExpressionSyntax operand, string method, string? destinationType)
    {
        var call = InvocationExpression(
            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ipAddress, IdentifierName(method)),
            ArgumentList(SingletonSeparatedList(Argument(
                CastExpression(PredefinedType(Token(SyntaxKind.ShortKeyword)), Parenthesize(operand.WithoutTrivia()))))));
        ExpressionSyntax converted = destinationType == "short"
            ? call
            : CastExpression(PredefinedType(Token(SyntaxKind.UShortKeyword)), call);
        return CheckedExpression(SyntaxKind.UncheckedExpression, converted)
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    private static ExpressionSyntax Parenthesize(ExpressionSyntax expression)
        => expression is IdentifierNameSyntax or MemberAccessExpressionSyntax or LiteralExpressionSyntax
            or InvocationExpressionSyntax or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax
            or ThisExpressionSyntax or CheckedExpressionSyntax
            ? expression
            : ParenthesizedExpression(expression);

    /// <summary>Removes parentheses and casts between integer types: <c>(ushort)port</c> becomes <c>port</c>.</summary>
    private static ExpressionSyntax StripIntegralCasts(ExpressionSyntax expression, SemanticModel model, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    expression = parenthesized.Expression;
                    continue;
                case CheckedExpressionSyntax uncheckedExpression when uncheckedExpression.IsKind(SyntaxKind.UncheckedExpression):
                    // The conversion is wrapped in unchecked(...) anyway.
                    expression = uncheckedExpression.Expression;
                    continue;
                case CastExpressionSyntax cast when IsInteger(model.GetTypeInfo(cast.Expression, cancellationToken).Type)
                    && IsInteger(model.GetTypeInfo(cast.Type, cancellationToken).Type):
                    expression = cast.Expression;
                    continue;
                default:
                    return expression;
            }
        }
    }

    private static bool IsInteger(ITypeSymbol? type)
        => type?.SpecialType is SpecialType.System_Byte or SpecialType.System_SByte
            or SpecialType.System_Int16 or SpecialType.System_UInt16
            or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64;
}
