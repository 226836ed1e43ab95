using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using KernelSafety.Analyzers;
using KernelSafety.Analyzers.Analysis;
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
/// KS0005 fixes. "Send the rest": replace the send statement with a loop that sends the rest and fails on
/// error (native send: pointer/offset arithmetic, or a byte[] tail copy <c>msg[(int)sent..]</c> on C# 8+, throw
/// Win32Exception or return -1; non-blocking Socket.Send:
/// offset advanced, WouldBlock waited out with Poll). "Check the SocketError": check the out SocketError.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UncheckedSendResultFix)), Shared]
public sealed class UncheckedSendResultFix : CodeFixProvider
{
    /// <summary>
    /// One equivalence key for both variants: each diagnostic offers exactly one of them, so fix-all (and
    /// <c>dotnet format analyzers</c>, which applies one key per pass) fixes every KS0005 in a single pass.
    /// </summary>
    public const string EquivalenceKey = "KS0005.CheckSendResult";

    private const string Sockets = "global::System.Net.Sockets.";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.UncheckedSendResult);

    /// <summary>
    /// Fix-all applies every edit of a document to one tree. A batch merge of each fix's text changes drops the later of
    /// two edits that both add the same <c>using</c> directives whenever the text diffs of those insertions come out
    /// differently, which left sends for a second pass.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixDocumentAsync);

    private static async Task<Document?> FixDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var edits = new List<Edit>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            // Two sends in one statement: the first one's edit replaces it, the other is left for the next pass.
            if (Plan(diagnostic, root, model, context.CancellationToken) is { } edit && !edits.Any(e => e.Statement == edit.Statement))
            {
                edits.Add(edit);
            }
        }

        return edits.Count == 0 ? document : document.WithSyntaxRoot(Edit.ApplyAll(root, model, edits));
    }

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan(diagnostic, root, model, context.CancellationToken) is not { } edit)
            {
                continue;
            }

            var kind = diagnostic.Properties[UncheckedSendResultAnalyzer.KindProperty];
            var title = kind == UncheckedSendResultAnalyzer.KindSocketError ? "Throw when the SocketError is not Success"
                : IsDatagram(diagnostic) ? "Fail when the send returns -1"
                : "Send the rest in a loop and fail on error";
            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(title, _ => Task.FromResult(document.WithSyntaxRoot(Edit.ApplyAll(root, model, new[] { edit }))), EquivalenceKey),
                diagnostic);
        }
    }

    private static Edit? Plan(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        var invocation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)
            .FirstAncestorOrSelf<InvocationExpressionSyntax>(n => n.Span == diagnostic.Location.SourceSpan);
        if (invocation is null
            || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
            || !diagnostic.Properties.TryGetValue(UncheckedSendResultAnalyzer.KindProperty, out var kind))
        {
            return null;
        }

        return kind switch
        {
            UncheckedSendResultAnalyzer.KindSocketError => PlanSocketErrorCheck(model, invocation, operation, cancellationToken),
            UncheckedSendResultAnalyzer.KindNonBlockingSocket => PlanManagedSendAll(model, invocation, operation, cancellationToken),
            UncheckedSendResultAnalyzer.KindNative when IsDatagram(diagnostic)
                => PlanNativeFailureCheck(model, invocation, operation, cancellationToken),
            UncheckedSendResultAnalyzer.KindNative
                when !(diagnostic.Properties.TryGetValue(UncheckedSendResultAnalyzer.DontWaitProperty, out var dontWait) && dontWait == "true")
                => PlanNativeSendAll(model, invocation, operation, cancellationToken),
            _ => null,
        };
    }

    /// <summary>One statement replaced by several (in a block, a switch section or top-level statements).</summary>
    private sealed class Edit
    {
        private const string Global = "global::";

        public Edit(StatementSyntax statement, IReadOnlyList<string> replacement)
        {
            Statement = statement;
            Replacement = replacement;
        }

        public StatementSyntax Statement { get; }

        /// <summary>Statement texts; types are written <c>global::</c>-qualified and shortened on apply.</summary>
        public IReadOnlyList<string> Replacement { get; }

        /// <summary>Replaces each edit's statement in one tree, and adds the <c>using</c> directives they need once.</summary>
        public static SyntaxNode ApplyAll(SyntaxNode root, SemanticModel model, IReadOnlyList<Edit> edits)
        {
            var imports = new SortedSet<string>(System.StringComparer.Ordinal);
            var changed = root.TrackNodes(edits.Select(e => e.Target));
            foreach (var edit in edits)
            {
                var statements = edit.Build(model, imports);
                var target = changed.GetCurrentNode(edit.Target)!;
                changed = target is GlobalStatementSyntax
                    ? changed.ReplaceNode(target, statements.Select(s => (SyntaxNode)SyntaxFactory.GlobalStatement(s)))
                    : changed.ReplaceNode(target, statements);
            }

            return AddImports(changed, imports);
        }

        /// <summary>The node replaced: the statement, or the global statement around it in top-level code.</summary>
        private SyntaxNode Target => Statement.Parent is GlobalStatementSyntax global ? global : Statement;

        private List<StatementSyntax> Build(SemanticModel model, SortedSet<string> imports)
        {
            var statements = Replacement
                .Select(text => ShortenTypes(SyntaxFactory.ParseStatement(text), model, imports)
                    .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation))
                .ToList();
            for (var i = 0; i < statements.Count; i++)
            {
                statements[i] = statements[i]
                    .WithLeadingTrivia(i == 0 ? Statement.GetLeadingTrivia() : SyntaxFactory.TriviaList(SyntaxFactory.ElasticMarker))
                    .WithTrailingTrivia(i == statements.Count - 1 ? Statement.GetTrailingTrivia() : SyntaxFactory.TriviaList(SyntaxFactory.ElasticCarriageReturnLineFeed));
            }

            return statements;
        }

        /// <summary>
        /// Writes each <c>global::</c>-qualified type by its simple name when that name already means the type
        /// here, or when nothing else is called so and its namespace can be imported; else leaves it qualified.
        /// </summary>
        private StatementSyntax ShortenTypes(StatementSyntax statement, SemanticModel model, SortedSet<string> imports)
            => statement.ReplaceNodes(
                statement.DescendantNodes().Where(n => n is QualifiedNameSyntax or MemberAccessExpressionSyntax),
                (original, rewritten) =>
                {
                    var text = original.ToString();
                    if (!text.StartsWith(Global, System.StringComparison.Ordinal)
                        || model.Compilation.GetTypeByMetadataName(text.Substring(Global.Length)) is not { } type)
                    {
                        return rewritten;
                    }

                    var visible = model.LookupNamespacesAndTypes(Statement.SpanStart, name: type.Name);
                    if (visible.Length == 1 && SymbolEqualityComparer.Default.Equals(visible[0].OriginalDefinition, type))
                    {
                        return SyntaxFactory.IdentifierName(type.Name);
                    }

                    if (visible.IsEmpty && model.SyntaxTree.GetRoot() is CompilationUnitSyntax)
                    {
                        imports.Add(type.ContainingNamespace.ToDisplayString());
                        return SyntaxFactory.IdentifierName(type.Name);
                    }

                    return rewritten;
                });

        private static SyntaxNode AddImports(SyntaxNode root, SortedSet<string> imports)
        {
            if (root is not CompilationUnitSyntax unit)
            {
                return root;
            }

            foreach (var import in imports)
            {
                unit = Imports.Add(unit, import);
            }

            return unit;
        }
    }

    // ---- Send(..., out SocketError) ------------------------------------------------------------------

    private static Edit? PlanSocketErrorCheck(SemanticModel model, InvocationExpressionSyntax invocation, IInvocationOperation operation, CancellationToken cancellationToken)
    {
        var statement = GetReplaceableStatement(invocation);
        if (statement is null)
        {
            return null;
        }

        foreach (var argument in operation.Arguments)
        {
            if (argument.Parameter is not { RefKind: RefKind.Out } parameter
                || parameter.Type.Name != "SocketError"
                || argument.Syntax is not ArgumentSyntax argumentSyntax)
            {
                continue;
            }

            string name;
            var statementText = statement.WithoutTrivia().ToFullString();
            switch (argument.Value)
            {
                case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local }:
                    name = local.Local.Name;
                    break;
                case ILocalReferenceOperation local:
                    name = local.Local.Name;
                    break;
                case IDiscardOperation:
                    // out _: declare the error. Fix-all fixes every discard of the scope at once, so each takes
                    // the next fresh name in source order.
                    var names = FreshNames.At(model, statement, cancellationToken);
                    name = names.Next("error");
                    for (var i = CountEarlierSocketErrorDiscards(model, statement, invocation, cancellationToken); i > 0; i--)
                    {
                        name = names.Next("error");
                    }

                    var start = argumentSyntax.Expression.SpanStart - statement.SpanStart;
                    var end = argumentSyntax.Expression.Span.End - statement.SpanStart;
                    statementText = statementText.Substring(0, start) + Sockets + "SocketError " + name + statementText.Substring(end);
                    break;
                default:
                    return null;
            }

            return new Edit(statement, new[]
            {
                statementText,
                $"if ({name} != {Sockets}SocketError.Success) throw new {Sockets}SocketException((int){name});",
            });
        }

        return null;
    }

    private static int CountEarlierSocketErrorDiscards(SemanticModel model, StatementSyntax statement, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        var count = 0;
        var scope = statement.Parent is GlobalStatementSyntax ? statement.SyntaxTree.GetRoot(cancellationToken) : statement.Parent;
        foreach (var other in scope?.DescendantNodes().OfType<InvocationExpressionSyntax>() ?? Enumerable.Empty<InvocationExpressionSyntax>())
        {
            if (other.SpanStart >= invocation.SpanStart)
            {
                break;
            }

            if (other.ArgumentList.Arguments.Any(a => a.RefKindKeyword.IsKind(SyntaxKind.OutKeyword) && a.Expression is IdentifierNameSyntax { Identifier.ValueText: "_" } or DeclarationExpressionSyntax { Designation: DiscardDesignationSyntax })
                && model.GetOperation(other, cancellationToken) is IInvocationOperation otherOperation
                && otherOperation.Arguments.Any(a => a.Value is IDiscardOperation && a.Parameter?.Type.Name == "SocketError"))
            {
                count++;
            }
        }

        return count;
    }

    // ---- Send on a non-blocking Socket -----------------------------------------------------------------

    private static Edit? PlanManagedSendAll(SemanticModel model, InvocationExpressionSyntax invocation, IInvocationOperation operation, CancellationToken cancellationToken)
    {
        var statement = GetReplaceableStatement(invocation);
        if (statement is null
            || invocation.Expression is not MemberAccessExpressionSyntax { Expression: var receiver }
            || !IsSimple(receiver)
            || operation.TargetMethod.ReturnType.SpecialType != SpecialType.System_Int32)
        {
            return null;
        }

        // Buffer, offset, count, flags of the overload.
        string? buffer = null, offset = null, count = null, flags = null;
        var span = false;
        foreach (var argument in operation.Arguments)
        {
            if (argument.Parameter is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            if (argument.Parameter.RefKind != RefKind.None || argument.Syntax is not ArgumentSyntax syntax || !IsSimple(syntax.Expression))
            {
                return null;
            }

            var text = Parenthesize(syntax.Expression);
            var type = argument.Parameter.Type;
            switch (argument.Parameter.Name)
            {
                case "buffer" when type is IArrayTypeSymbol:
                    buffer = text;
                    break;
                case "buffer" when type.Name == "ReadOnlySpan":
                    var argumentType = model.GetTypeInfo(syntax.Expression, cancellationToken).Type;
                    span = argumentType is not IArrayTypeSymbol;
                    buffer = text;
                    break;
                case "offset":
                    offset = text;
                    break;
                case "size":
                    count = text;
                    break;
                case "socketFlags":
                    flags = text;
                    break;
                default:
                    return null;
            }
        }

        if (buffer is null)
        {
            return null;
        }

        var names = FreshNames.At(model, statement, cancellationToken);
        var accumulator = GetAccumulator(model, statement, invocation, names, cancellationToken);
        if (accumulator is null || accumulator.Value.Type is not ("int" or "var"))
        {
            return null;
        }

        var (header, sent) = (accumulator.Value.Header, accumulator.Value.Name);
        var n = names.Next("n", "written");
        var error = names.Next("error");
        count ??= buffer + ".Length";
        flags ??= Sockets + "SocketFlags.None";
        var send = span
            ? $"{receiver}.Send({buffer}.Slice({sent}), {flags}, out {Sockets}SocketError {error})"
            : $"{receiver}.Send({buffer}, {(offset is null or "0" ? sent : offset + " + " + sent)}, {count} - {sent}, {flags}, out {Sockets}SocketError {error})";

        var body = new StringBuilder()
            .Append("{\n")
            .Append($"int {n} = {send};\n")
            .Append($"if ({error} == {Sockets}SocketError.WouldBlock)\n{{\n{receiver}.Poll(-1, {Sockets}SelectMode.SelectWrite);\ncontinue;\n}}\n\n")
            .Append($"if ({error} != {Sockets}SocketError.Success)\n{{\nthrow new {Sockets}SocketException((int){error});\n}}\n\n")
            .Append($"{sent} += {n};\n")
            .Append('}')
            .ToString();

        return Loop(statement, header, sent, count, "int", body);
    }

    // ---- Native send / sendto / write ------------------------------------------------------------------

    private static Edit? PlanNativeSendAll(SemanticModel model, InvocationExpressionSyntax invocation, IInvocationOperation operation, CancellationToken cancellationToken)
    {
        var statement = GetReplaceableStatement(invocation);
        var resultType = operation.TargetMethod.ReturnType;
        if (statement is null || !IsSignedCount(resultType))
        {
            return null;
        }

        ArgumentSyntax? bufferArgument = null, lengthArgument = null;
        IArgumentOperation? bufferOperation = null, lengthOperation = null;
        foreach (var argument in operation.Arguments)
        {
            if (argument.Syntax is not ArgumentSyntax syntax || argument.Parameter is null
                || !(IsSimple(syntax.Expression) || IsMinOrMaxOfSimple(argument.Value)))
            {
                return null;
            }

            switch (argument.Parameter.Ordinal)
            {
                case 1:
                    (bufferArgument, bufferOperation) = (syntax, argument);
                    break;
                case 2:
                    (lengthArgument, lengthOperation) = (syntax, argument);
                    break;
            }
        }

        if (bufferArgument is null || lengthArgument is null || bufferOperation?.Parameter is null || lengthOperation?.Parameter is null)
        {
            return null;
        }

        var names = FreshNames.At(model, statement, cancellationToken);
        var accumulator = GetAccumulator(model, statement, invocation, names, cancellationToken);
        if (accumulator is null)
        {
            return null;
        }

        var (header, sent) = (accumulator.Value.Header, accumulator.Value.Name);
        var accumulatorType = accumulator.Value.Type == "var" ? resultType : accumulator.Value.Symbol?.Type;
        var compilation = model.Compilation;
        if (accumulatorType is null
            || !IsSignedCount(accumulatorType)
            || !compilation.ClassifyConversion(resultType, accumulatorType).IsImplicit)
        {
            return null;
        }

        // buf + sent, with the pointer or address arithmetic the buffer's type allows.
        var position = statement.SpanStart;
        var bufferType = model.GetTypeInfo(bufferArgument.Expression, cancellationToken).Type;
        var buffer = Parenthesize(bufferArgument.Expression);
        string advanced;
        switch (bufferType)
        {
            case IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Void }:
                advanced = $"(byte*){buffer} + {sent}";
                break;
            case IPointerTypeSymbol:
                advanced = $"{buffer} + {sent}";
                break;
            case { SpecialType: SpecialType.System_IntPtr }:
                advanced = accumulatorType.SpecialType == SpecialType.System_Int64 ? $"{buffer} + (nint){sent}" : $"{buffer} + {sent}";
                break;
            case IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte } when CanSliceArrays(model):
                // No offset form of the native call: resend the tail as a copy (msg[(int)sent..]). The copy is
                // only made on the rare partial-send path; the first attempt passes the array itself.
                var index = accumulatorType.SpecialType == SpecialType.System_Int32 ? sent : $"(int){sent}";
                advanced = $"{sent} == 0 ? {buffer} : {buffer}[{index}..]";
                break;
            default:
                // Spans, refs, and arrays without C# 8 ranges: there is no offset form of the native call.
                return null;
        }

        if (!compilation.ClassifyConversion(bufferType, bufferOperation.Parameter.Type).IsImplicit)
        {
            return null;
        }

        // The length asked for, in the accumulator's type; the rest, in the parameter's type.
        var lengthType = model.GetTypeInfo(lengthArgument.Expression, cancellationToken).Type;
        if (lengthType is null || !IsInteger(lengthType))
        {
            return null;
        }

        var accumulatorName = accumulatorType.ToMinimalDisplayString(model, position);
        ExpressionSyntax lengthExpression = lengthArgument.Expression;

        // The listing's send(fd, msg, 80, 0) after a copy of len bytes (KS0004 on the same call): the loop must send
        // the valid length, not the fixed size, whichever of the two fixes runs first.
        var symbols = KnownSymbols.Get(compilation);
        if (BufferViews.TryGetView(bufferOperation.Value, symbols, out var view)
            && ValidLength.TryGetShorterValidLength(operation, view.Symbol, lengthOperation.Value, symbols, cancellationToken, out var fact)
            && fact is not null)
        {
            var valid = SyntaxFactory.ParseExpression(fact.Text);
            var validType = fact.Type ?? model.GetSpeculativeTypeInfo(position, valid, SpeculativeBindingOption.BindAsExpression).Type;
            if (validType is not null && IsInteger(validType))
            {
                (lengthExpression, lengthType) = (valid, validType);
            }
        }

        // send(fd, msg, (nuint)len, flags): count up to len itself rather than to (nint)(nuint)len.
        if (Unwrap(lengthExpression) is CastExpressionSyntax { Expression: var uncast }
            && model.GetTypeInfo(uncast, cancellationToken).Type is { } uncastType
            && IsInteger(uncastType)
            && compilation.ClassifyConversion(uncastType, accumulatorType).IsImplicit)
        {
            (lengthExpression, lengthType) = (uncast, uncastType);
        }

        var length = Parenthesize(lengthExpression);
        var total = compilation.ClassifyConversion(lengthType, accumulatorType).IsImplicit ? length : $"({accumulatorName}){length}";
        var rest = $"{total} - {sent}";
        var lengthParameter = lengthOperation.Parameter.Type;
        if (!compilation.ClassifyConversion(accumulatorType, lengthParameter).IsImplicit)
        {
            rest = $"({lengthParameter.ToMinimalDisplayString(model, position)})({rest})";
        }

        var call = invocation.ReplaceNodes(
            new[] { bufferArgument.Expression, lengthArgument.Expression },
            (original, _) => original == bufferArgument.Expression ? SyntaxFactory.ParseExpression(advanced) : SyntaxFactory.ParseExpression(rest));

        var n = names.Next("n", "written");
        var resultName = resultType.ToMinimalDisplayString(model, position);
        var body = new StringBuilder()
            .Append("{\n")
            .Append($"{resultName} {n} = {call.WithoutTrivia().ToFullString()};\n")
            .Append($"if ({n} < 0)\n{{\n{Failure(model, statement, cancellationToken)}\n}}\n\n")
            .Append($"{sent} += {n};\n")
            .Append('}')
            .ToString();

        return Loop(statement, header, sent, total, accumulatorName, body);
    }

    private static bool IsDatagram(Diagnostic diagnostic)
        => diagnostic.Properties.TryGetValue(UncheckedSendResultAnalyzer.DatagramProperty, out var datagram) && datagram == "true";

    /// <summary>
    /// A datagram <c>sendto</c> is sent whole or not at all, so there is no rest to send: the fix tests the result for
    /// -1 and fails. A discarded send becomes <c>if (sendto(...) &lt; 0) { fail }</c>; a send stored in a local is
    /// followed by <c>if (n &lt; 0) { fail }</c>, which also makes a later <c>n != 0</c> test mean "sent".
    /// </summary>
    private static Edit? PlanNativeFailureCheck(SemanticModel model, InvocationExpressionSyntax invocation, IInvocationOperation operation, CancellationToken cancellationToken)
    {
        var statement = GetReplaceableStatement(invocation);
        if (statement is null || !IsSignedCount(operation.TargetMethod.ReturnType))
        {
            return null;
        }

        var failure = Failure(model, statement, cancellationToken);
        var call = invocation.WithoutTrivia().ToFullString();
        switch (GetAccumulator(model, statement, invocation, FreshNames.At(model, statement, cancellationToken), cancellationToken))
        {
            case { Symbol: null }:
                return new Edit(statement, new[] { $"if ({call} < 0)\n{{\n{failure}\n}}" });
            case { Symbol: { } local }:
                return new Edit(statement, new[] { statement.WithoutTrivia().ToFullString(), $"if ({local.Name} < 0)\n{{\n{failure}\n}}" });
            default:
                return null;
        }
    }

    private static string Failure(SemanticModel model, StatementSyntax statement, CancellationToken cancellationToken)
    {
        if (model.GetEnclosingSymbol(statement.SpanStart, cancellationToken) is IMethodSymbol { IsAsync: false, ReturnsVoid: false } method
            && method.ReturnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_IntPtr
            && method.MethodKind is not MethodKind.AnonymousFunction
            && !IsTopLevelMain(method))
        {
            return "return -1;";
        }

        var marshal = model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        var lastError = marshal?.GetMembers("GetLastPInvokeError").Length > 0 ? "GetLastPInvokeError" : "GetLastWin32Error";
        return $"throw new global::System.ComponentModel.Win32Exception(global::System.Runtime.InteropServices.Marshal.{lastError}());";
    }

    /// <summary>
    /// Whether <c>array[i..]</c> compiles here: C# 8 or later and a runtime with
    /// <c>RuntimeHelpers.GetSubArray</c> (and <c>System.Range</c>).
    /// </summary>
    private static bool CanSliceArrays(SemanticModel model)
        => model.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp8 }
            && model.Compilation.GetTypeByMetadataName("System.Range") is not null
            && model.Compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.RuntimeHelpers") is { } helpers
            && helpers.GetMembers("GetSubArray").Length > 0;

    private static bool IsTopLevelMain(IMethodSymbol method)
        => method.Name == "<Main>$" || (method.IsImplicitlyDeclared && method.MethodKind == MethodKind.Ordinary);

    // ---- Shared shapes ---------------------------------------------------------------------------------

    /// <summary>
    /// The loop variable. A discarded send gets a fresh <c>sent</c> declared by the <c>for</c>; a send stored
    /// in a local (<c>nint n = send(...)</c>, <c>n = send(...)</c>) keeps that local as the running total so
    /// later code that reads it still compiles.
    /// </summary>
    private static (string? Header, string Name, string Type, ILocalSymbol? Symbol)? GetAccumulator(
        SemanticModel model, StatementSyntax statement, InvocationExpressionSyntax invocation, FreshNames names, CancellationToken cancellationToken)
    {
        switch (statement)
        {
            case ExpressionStatementSyntax { Expression: var expression } when Unwrap(expression) == invocation:
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Right: var right } }
                when Unwrap(right) == invocation && model.GetOperation(statement, cancellationToken) is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IDiscardOperation } }:
                return (null, names.Next("sent", "total"), "var", null);

            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax left, Right: var right } }
                when right == invocation && model.GetSymbolInfo(left, cancellationToken).Symbol is ILocalSymbol local:
                return ($"{local.Name} = 0;", local.Name, local.Type.ToMinimalDisplayString(model, statement.SpanStart), local);

            case LocalDeclarationStatementSyntax { Declaration: { Variables.Count: 1 } declaration, UsingKeyword.RawKind: 0, AwaitKeyword.RawKind: 0 }
                when declaration.Variables[0].Initializer?.Value == invocation
                    && model.GetDeclaredSymbol(declaration.Variables[0], cancellationToken) is ILocalSymbol declared
                    && !declared.IsConst:
                var typeName = declared.Type.ToMinimalDisplayString(model, statement.SpanStart);
                return ($"{typeName} {declared.Name} = 0;", declared.Name, declaration.Type.IsVar ? "var" : typeName, declared);

            default:
                return null;
        }
    }

    private static Edit Loop(StatementSyntax statement, string? header, string sent, string total, string type, string body)
        => header is null
            ? new Edit(statement, new[] { $"for ({type} {sent} = 0; {sent} < {total};)\n{body}" })
            : new Edit(statement, new[] { header, $"while ({sent} < {total})\n{body}" });

    private static ExpressionSyntax Unwrap(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        return expression;
    }

    /// <summary>The statement the send is part of, when it sits in a block, a switch section or top-level code.</summary>
    private static StatementSyntax? GetReplaceableStatement(InvocationExpressionSyntax invocation)
    {
        var statement = invocation.FirstAncestorOrSelf<StatementSyntax>();
        return statement is ExpressionStatementSyntax or LocalDeclarationStatementSyntax
            && statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax
            ? statement
            : null;
    }

    /// <summary>Expressions cheap and free of side effects, safe to evaluate on every iteration.</summary>
    private static bool IsSimple(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or LiteralExpressionSyntax or ThisExpressionSyntax or BaseExpressionSyntax
            or DefaultExpressionSyntax or SizeOfExpressionSyntax or PredefinedTypeSyntax => true,
        MemberAccessExpressionSyntax member => IsSimple(member.Expression),
        ParenthesizedExpressionSyntax parenthesized => IsSimple(parenthesized.Expression),
        CastExpressionSyntax cast => IsSimple(cast.Expression),
        BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression) || binary.IsKind(SyntaxKind.SubtractExpression)
            || binary.IsKind(SyntaxKind.MultiplyExpression) || binary.IsKind(SyntaxKind.BitwiseOrExpression)
            => IsSimple(binary.Left) && IsSimple(binary.Right),
        PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression) || unary.IsKind(SyntaxKind.AddressOfExpression)
            => IsSimple(unary.Operand),
        ElementAccessExpressionSyntax element => IsSimple(element.Expression) && element.ArgumentList.Arguments.All(a => IsSimple(a.Expression)),
        _ => false,
    };

    /// <summary>
    /// <c>Math.Min(a, b)</c>, <c>Math.Max(a, b)</c> or <c>Math.Clamp(v, lo, hi)</c> (System.Math) over simple operands, the
    /// way KS0004's fix bounds a length: as free of side effects as its operands, so the loop may evaluate it again.
    /// </summary>
    private static bool IsMinOrMaxOfSimple(IOperation value)
    {
        while (value is IConversionOperation { IsImplicit: true } conversion)
        {
            value = conversion.Operand;
        }

        return value is IInvocationOperation
        {
            TargetMethod: { Name: "Min" or "Max" or "Clamp", ContainingType: { Name: "Math", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } },
        } invocation
            && invocation.Arguments.All(a => a.Syntax is ArgumentSyntax argument && IsSimple(argument.Expression));
    }

    private static string Parenthesize(ExpressionSyntax expression)
    {
        var text = expression.WithoutTrivia().ToFullString();
        return expression is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax or ThisExpressionSyntax
            or ParenthesizedExpressionSyntax or ElementAccessExpressionSyntax or InvocationExpressionSyntax
            ? text
            : "(" + text + ")";
    }

    private static bool IsSignedCount(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_IntPtr;

    private static bool IsInteger(ITypeSymbol type)
        => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_IntPtr
            or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_UIntPtr
            or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Byte;
}
