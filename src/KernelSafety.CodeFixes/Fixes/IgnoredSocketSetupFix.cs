using System.Collections.Immutable;
using System.Composition;
using System.Linq;
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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace KernelSafety.CodeFixes.Fixes;

/// <summary>
/// KS0002 fixes: test a native result and leave on failure, leave at the end of a failure branch that only logs,
/// await (or connect synchronously instead of) an unobserved ConnectAsync, rethrow in a swallowing catch, and
/// throw a TimeoutException when <c>Wait(timeout)</c> returns false.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(IgnoredSocketSetupFix)), Shared]
public sealed class IgnoredSocketSetupFix : CodeFixProvider
{
    /// <summary>
    /// One equivalence key for every variant: each diagnostic's shape (its <c>Kind</c> property) admits exactly one
    /// fix, so fix-all (and <c>dotnet format analyzers</c>, which applies one key per pass) fixes every KS0002 in a
    /// single pass.
    /// </summary>
    public const string EquivalenceKey = "KS0002.CheckSetupResult";

    private const string TimeoutMessage = "The connection attempt timed out.";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIdentifiers.IgnoredSocketSetup);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            if (!diagnostic.Properties.TryGetValue(IgnoredSocketSetupAnalyzer.KindProperty, out var kind)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node)
            {
                continue;
            }

            var invocation = node as InvocationExpressionSyntax ?? node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (invocation is null)
            {
                continue;
            }

            switch (kind)
            {
                case IgnoredSocketSetupAnalyzer.NativeDiscarded:
                    RegisterTestDiscarded(context, model, diagnostic, invocation);
                    break;
                case IgnoredSocketSetupAnalyzer.NativeUntested:
                    RegisterTestStored(context, model, diagnostic, invocation);
                    break;
                case IgnoredSocketSetupAnalyzer.NativeFailureFallsThrough:
                    RegisterLeaveOnFailure(context, root, model, diagnostic);
                    break;
                case IgnoredSocketSetupAnalyzer.UnobservedTask:
                    RegisterObserveTask(context, model, diagnostic, invocation);
                    break;
                case IgnoredSocketSetupAnalyzer.SwallowedFailure:
                    RegisterRethrow(context, root, diagnostic);
                    break;
                case IgnoredSocketSetupAnalyzer.IgnoredWaitResult:
                    RegisterThrowOnTimeout(context, root, diagnostic);
                    break;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Native results

    private static void RegisterTestDiscarded(CodeFixContext context, SemanticModel model, Diagnostic diagnostic, InvocationExpressionSyntax invocation)
    {
        // Only connect: a discarded socket() descriptor cannot be rescued by a test (it is lost either way).
        if (model.GetSymbolInfo(invocation, context.CancellationToken).Symbol is not IMethodSymbol method
            || NativeMethods.GetEntryPoint(method, KnownSymbols.Get(model.Compilation)) != NativeMethods.Connect)
        {
            return;
        }

        var statement = GetExpressionStatement(invocation, out var call);
        if (statement is null || call is null)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Test the result and leave on failure",
                ct => ReplaceStatementAsync(context.Document, statement, (m, g) =>
                    WithBlankLineAfter(IfFailed(call.WithoutTrivia(), Leave(m, g, statement, resultLocal: null, setup: invocation)), statement), ct),
                EquivalenceKey),
            diagnostic);
    }

    private static void RegisterTestStored(CodeFixContext context, SemanticModel model, Diagnostic diagnostic, InvocationExpressionSyntax invocation)
    {
        if (!diagnostic.Properties.TryGetValue(IgnoredSocketSetupAnalyzer.ResultLocalProperty, out var localName) || localName is null)
        {
            return;
        }

        var statement = invocation.FirstAncestorOrSelf<StatementSyntax>();
        if (statement is not (LocalDeclarationStatementSyntax or ExpressionStatementSyntax)
            || statement.Parent is not (BlockSyntax or SwitchSectionSyntax))
        {
            return;
        }

        var local = model.LookupSymbols(invocation.SpanStart, name: localName).OfType<ILocalSymbol>().FirstOrDefault()
            ?? model.GetDeclaredSymbol(invocation.FirstAncestorOrSelf<VariableDeclaratorSyntax>() ?? (SyntaxNode)invocation, context.CancellationToken) as ILocalSymbol;

        context.RegisterCodeFix(
            CodeAction.Create(
                $"Test '{localName}' and leave on failure",
                async ct =>
                {
                    var editor = await DocumentEditor.CreateAsync(context.Document, ct).ConfigureAwait(false);
                    var guard = IfFailed(IdentifierName(localName), Leave(editor.SemanticModel, editor.Generator, statement, local, invocation));
                    editor.InsertAfter(statement, AsStatementAfter(guard, statement));
                    return await FinishAsync(editor.GetChangedDocument(), ct).ConfigureAwait(false);
                },
                EquivalenceKey),
            diagnostic);
    }

    private static void RegisterLeaveOnFailure(CodeFixContext context, SyntaxNode root, SemanticModel model, Diagnostic diagnostic)
    {
        if (diagnostic.AdditionalLocations.Count == 0
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan) is not StatementSyntax branch)
        {
            return;
        }

        ILocalSymbol? local = null;
        if (diagnostic.Properties.TryGetValue(IgnoredSocketSetupAnalyzer.ResultLocalProperty, out var localName) && localName is not null)
        {
            local = model.LookupSymbols(branch.SpanStart, name: localName).OfType<ILocalSymbol>().FirstOrDefault();
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Leave the method when setup fails",
                async ct =>
                {
                    var editor = await DocumentEditor.CreateAsync(context.Document, ct).ConfigureAwait(false);
                    var setup = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is { } found
                        ? found as InvocationExpressionSyntax ?? found.FirstAncestorOrSelf<InvocationExpressionSyntax>()
                        : null;
                    var leave = Leave(editor.SemanticModel, editor.Generator, branch, local, setup);
                    if (branch is BreakStatementSyntax exit && exit.Parent is SwitchSectionSyntax or BlockSyntax { Parent: SwitchSectionSyntax })
                    {
                        // case -1: Log(); break;  ->  case -1: Log(); throw ...; (the leave ends the section, braced or not)
                        // Laid out where the break was, line by line as it was written (the formatter would re-indent a braced section).
                        var ownLine = exit.GetFirstToken().GetPreviousToken().TrailingTrivia.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
                        var replacement = new StatementSyntax[leave.Length];
                        for (var i = 0; i < leave.Length; i++)
                        {
                            replacement[i] = leave[i].NormalizeWhitespace(elasticTrivia: false)
                                .WithLeadingTrivia(i == 0 || ownLine ? exit.GetLeadingTrivia() : TriviaList(Space))
                                .WithTrailingTrivia(i == leave.Length - 1 || ownLine ? exit.GetTrailingTrivia() : TriviaList());
                        }

                        editor.InsertAfter(exit, replacement.Skip(1));
                        editor.ReplaceNode(exit, replacement[0]);
                    }
                    else if (branch is BlockSyntax block)
                    {
                        editor.ReplaceNode(block, block.AddStatements(leave).WithAdditionalAnnotations(Formatter.Annotation));
                    }
                    else
                    {
                        editor.ReplaceNode(branch, WithBlankLineAfter(Block(new[] { branch.WithoutTrivia() }.Concat(leave)), branch).WithAdditionalAnnotations(Formatter.Annotation));
                    }

                    return await FinishAsync(editor.GetChangedDocument(), ct).ConfigureAwait(false);
                },
                EquivalenceKey),
            diagnostic);
    }

    /// <summary><c>if (value &lt; 0) { leave }</c>.</summary>
    private static IfStatementSyntax IfFailed(ExpressionSyntax value, StatementSyntax[] leave)
        => IfStatement(
                BinaryExpression(SyntaxKind.LessThanExpression, value, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))),
                Block(leave))
            .WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>
    /// How to leave the enclosing function on failure: return the (negative) result or -1 from an integer-returning
    /// method, otherwise throw a Win32Exception carrying the P/Invoke error.
    /// </summary>
    private static StatementSyntax[] Leave(SemanticModel model, SyntaxGenerator generator, SyntaxNode at, ILocalSymbol? resultLocal, InvocationExpressionSyntax? setup)
    {
        var close = CloseDescriptor(model, setup, at.SpanStart);
        var function = model.GetEnclosingSymbol(at.SpanStart) as IMethodSymbol;
        if (function is { IsAsync: false, ReturnType.SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_IntPtr or SpecialType.System_Int16 }
            && !IsIterator(at))
        {
            var value = resultLocal is not null && SymbolEqualityComparer.Default.Equals(resultLocal.Type, function.ReturnType)
                ? (ExpressionSyntax)IdentifierName(resultLocal.Name)
                : PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(1)));
            return close is null ? new StatementSyntax[] { ReturnStatement(value) } : new StatementSyntax[] { close, ReturnStatement(value) };
        }

        var compilation = model.Compilation;
        var win32Exception = compilation.GetTypeByMetadataName("System.ComponentModel.Win32Exception");
        var marshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
        if (win32Exception is null || marshal is null)
        {
            return new StatementSyntax[] { ThrowStatement(ParseExpression("new System.InvalidOperationException(\"Socket setup failed.\")")) };
        }

        var lastError = marshal.GetMembers("GetLastPInvokeError").Length > 0 ? "GetLastPInvokeError" : "GetLastWin32Error";
        var errorCall = (ExpressionSyntax)generator.InvocationExpression(
            generator.MemberAccessExpression(QualifiedType(marshal), lastError));
        if (close is null)
        {
            var creation = (ExpressionSyntax)generator.ObjectCreationExpression(QualifiedType(win32Exception), errorCall);
            return new StatementSyntax[] { ThrowStatement(creation).WithAdditionalAnnotations(Simplifier.Annotation) };
        }

        // close() overwrites the error: read it first.
        var error = FreshNames.At(model, at, CancellationToken.None).Next("error", "lastError", "connectError");
        var declaration = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"))
            .AddVariables(VariableDeclarator(error).WithInitializer(EqualsValueClause(errorCall))))
            .WithAdditionalAnnotations(Simplifier.Annotation);
        var thrown = (ExpressionSyntax)generator.ObjectCreationExpression(QualifiedType(win32Exception), IdentifierName(error));
        return new StatementSyntax[] { declaration, close, ThrowStatement(thrown).WithAdditionalAnnotations(Simplifier.Annotation) };
    }

    /// <summary>
    /// <c>close(fd);</c> when the failed setup is a native <c>connect</c> on a descriptor the method itself opened
    /// (a local) and a P/Invoke'd <c>close</c> is in scope: leaving without it leaks the descriptor.
    /// A descriptor the caller passed in stays the caller's to close.
    /// </summary>
    private static StatementSyntax? CloseDescriptor(SemanticModel model, InvocationExpressionSyntax? setup, int position)
    {
        if (setup is null
            || setup.ArgumentList.Arguments.Count == 0
            || model.GetSymbolInfo(setup).Symbol is not IMethodSymbol method
            || NativeMethods.GetEntryPoint(method, KnownSymbols.Get(model.Compilation)) != NativeMethods.Connect
            || setup.ArgumentList.Arguments[0].Expression is not IdentifierNameSyntax descriptor
            || model.GetSymbolInfo(descriptor).Symbol is not ILocalSymbol)
        {
            return null;
        }

        // A finally around the connect that closes the descriptor already does it: closing it here too would close a
        // number that another thread may have been given in between.
        var symbols = KnownSymbols.Get(model.Compilation);
        foreach (var tryStatement in setup.Ancestors().OfType<TryStatementSyntax>())
        {
            if (tryStatement.Finally is { } @finally
                && tryStatement.Block.Span.Contains(setup.Span)
                && @finally.Block.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(call =>
                    call.ArgumentList.Arguments.Any(a => a.Expression is IdentifierNameSyntax { Identifier.ValueText: var name } && name == descriptor.Identifier.ValueText)
                    && model.GetSymbolInfo(call).Symbol is IMethodSymbol closing
                    && NativeMethods.GetEntryPoint(closing, symbols) == "close"))
            {
                return null;
            }
        }

        // The close declared beside the connect (Libc.close), else one in scope by its simple name.
        foreach (var candidate in method.ContainingType.GetMembers().Concat(model.LookupSymbols(position)))
        {
            if (candidate is IMethodSymbol { Parameters.Length: 1 } close
                && close.Parameters[0].Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_IntPtr
                && NativeMethods.GetEntryPoint(close, symbols) == "close"
                && model.IsAccessible(position, close))
            {
                ExpressionSyntax target = model.LookupSymbols(position, name: close.Name).Contains(close, SymbolEqualityComparer.Default)
                    ? IdentifierName(close.Name)
                    : MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        ParseTypeName(close.ContainingType.ToMinimalDisplayString(model, position)),
                        IdentifierName(close.Name));
                return ExpressionStatement(InvocationExpression(target)
                    .AddArgumentListArguments(Argument(IdentifierName(descriptor.Identifier.ValueText))));
            }
        }

        return null;
    }

    /// <summary>A <c>global::</c>-qualified type name that the cleanup turns into a using plus the simple name.</summary>
    private static TypeSyntax QualifiedType(ITypeSymbol type)
        => ParseTypeName(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat))
            .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);

    private static bool IsIterator(SyntaxNode at)
    {
        var body = at.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax);
        return body is not null && body.DescendantNodes().OfType<YieldStatementSyntax>().Any();
    }

    // ---------------------------------------------------------------------------------------------
    // ConnectAsync tasks

    private static void RegisterObserveTask(CodeFixContext context, SemanticModel model, Diagnostic diagnostic, InvocationExpressionSyntax invocation)
    {
        var statement = GetExpressionStatement(invocation, out var taskExpression);
        if (statement is null || taskExpression is null)
        {
            return;
        }

        var function = model.GetEnclosingSymbol(invocation.SpanStart, context.CancellationToken) as IMethodSymbol;
        // await is not allowed in a lock body: connect synchronously there.
        if (function is { IsAsync: true } && !IsInsideLock(statement))
        {

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Await the connect",
                    ct => ReplaceStatementAsync(context.Document, statement, (_, _) =>
                        statement.WithExpression(AwaitExpression(taskExpression.WithoutTrivia())).WithAdditionalAnnotations(Formatter.Annotation), ct),
                    EquivalenceKey),
                diagnostic);
            return;
        }

        // Synchronous method (or lock body): call Connect with the same arguments, when such an overload exists.
        if (model.GetSymbolInfo(invocation, context.CancellationToken).Symbol is not IMethodSymbol connectAsync
            || !HasSynchronousConnect(connectAsync)
            || !IsConnectAsyncCallOrWrapper(taskExpression, invocation))
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Connect synchronously",
                ct => ReplaceStatementAsync(context.Document, statement, (_, _) =>
                    statement.WithExpression(RenameToConnect(invocation).WithoutTrivia()).WithAdditionalAnnotations(Formatter.Annotation), ct),
                EquivalenceKey),
            diagnostic);
    }

    private static bool IsInsideLock(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case LockStatementSyntax:
                    return true;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax:
                    return false;
            }
        }

        return false;
    }

    private static bool IsConnectAsyncCallOrWrapper(ExpressionSyntax taskExpression, InvocationExpressionSyntax invocation)
        => taskExpression == invocation
            || (taskExpression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" or "AsTask" } access }
                && access.Expression == invocation);

    private static bool HasSynchronousConnect(IMethodSymbol connectAsync)
    {
        for (var type = connectAsync.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers("Connect"))
            {
                if (member is IMethodSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } connect
                    && connect.Parameters.Length == connectAsync.Parameters.Length
                    && connect.Parameters.Zip(connectAsync.Parameters, (a, b) => SymbolEqualityComparer.Default.Equals(a.Type, b.Type) && a.RefKind == b.RefKind).All(same => same))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static InvocationExpressionSyntax RenameToConnect(InvocationExpressionSyntax invocation)
        => invocation.Expression switch
        {
            MemberAccessExpressionSyntax access => invocation.WithExpression(access.WithName(IdentifierName("Connect").WithTriviaFrom(access.Name))),
            MemberBindingExpressionSyntax binding => invocation.WithExpression(binding.WithName(IdentifierName("Connect").WithTriviaFrom(binding.Name))),
            IdentifierNameSyntax name => invocation.WithExpression(IdentifierName("Connect").WithTriviaFrom(name)),
            _ => invocation,
        };

    // ---------------------------------------------------------------------------------------------
    // Swallowing catch, ignored Wait(timeout)

    private static void RegisterRethrow(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
    {
        var blocks = diagnostic.AdditionalLocations
            .Select(l => root.FindNode(l.SourceSpan) as BlockSyntax)
            .Where(b => b?.Parent is CatchClauseSyntax)
            .ToImmutableArray();
        if (blocks.IsEmpty)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Rethrow the connect failure",
                async ct =>
                {
                    // Rewrite the whole try statement so a one-line try/catch is laid out properly once it grows.
                    var editor = await DocumentEditor.CreateAsync(context.Document, ct).ConfigureAwait(false);
                    foreach (var tryStatement in blocks.Select(b => b!.FirstAncestorOrSelf<TryStatementSyntax>()).Distinct())
                    {
                        if (tryStatement is null)
                        {
                            continue;
                        }

                        var rewritten = tryStatement.ReplaceNodes(
                            blocks.Where(b => b!.Parent?.Parent == tryStatement).Select(b => b!),
                            (original, _) => original.AddStatements(ThrowStatement()));
                        editor.ReplaceNode(tryStatement, rewritten.WithAdditionalAnnotations(Formatter.Annotation));
                    }

                    return await FinishAsync(editor.GetChangedDocument(), ct).ConfigureAwait(false);
                },
                EquivalenceKey),
            diagnostic);
    }

    private static void RegisterThrowOnTimeout(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
    {
        if (diagnostic.AdditionalLocations.Count == 0
            || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not { } node
            || (node as InvocationExpressionSyntax ?? node.FirstAncestorOrSelf<InvocationExpressionSyntax>()) is not { } wait
            || GetExpressionStatement(wait, out var waitCall) is not { } statement
            || waitCall != wait)
        {
            return;
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                "Throw TimeoutException when the connect times out",
                ct => ReplaceStatementAsync(context.Document, statement, (m, g) =>
                {
                    var timeoutException = m.Compilation.GetTypeByMetadataName("System.TimeoutException");
                    var type = timeoutException is null ? ParseTypeName("System.TimeoutException") : QualifiedType(timeoutException);
                    var creation = ObjectCreationExpression(type)
                        .WithArgumentList(ArgumentList(SingletonSeparatedList(Argument(
                            LiteralExpression(SyntaxKind.StringLiteralExpression, Literal(TimeoutMessage))))));
                    return WithBlankLineAfter(
                        IfStatement(
                                PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, wait.WithoutTrivia()),
                                Block(ThrowStatement(creation)))
                            .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation),
                        statement);
                }, ct),
                EquivalenceKey),
            diagnostic);
    }

    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The expression statement that evaluates <paramref name="invocation"/> (directly, through <c>ConfigureAwait</c>,
    /// or through a discard <c>_ = ...</c>); <paramref name="value"/> is the expression whose value is dropped.
    /// </summary>
    private static ExpressionStatementSyntax? GetExpressionStatement(InvocationExpressionSyntax invocation, out ExpressionSyntax? value)
    {
        value = null;
        ExpressionSyntax current = invocation;
        while (current.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" or "AsTask" } access
            && access.Expression == current
            && access.Parent is InvocationExpressionSyntax wrapper)
        {
            current = wrapper;
        }

        while (current.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            current = (ExpressionSyntax)current.Parent;
        }

        switch (current.Parent)
        {
            case ExpressionStatementSyntax statement:
                value = current;
                return statement;
            case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax discard } assignment
                when assignment.Right == current:
                value = current;
                return discard;
            default:
                return null;
        }
    }

    /// <summary>Adds the usings the new code needs, simplifies the qualified names and formats the new code.</summary>
    private static async Task<Document> FinishAsync(Document document, CancellationToken cancellationToken)
    {
        document = await ImportAdder.AddImportsAsync(document, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        document = await Simplifier.ReduceAsync(document, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Formatter.FormatAsync(document, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives <paramref name="replacement"/> the trivia of <paramref name="original"/>, plus a blank line after it when it
    /// ends in a block and another statement follows (the layout a careful engineer writes).
    /// </summary>
    /// <summary>
    /// Trivia for a statement inserted after <paramref name="original"/>: the original keeps its own trailing
    /// comment; the new statement ends its line and is followed by one blank line when another statement follows
    /// and does not already start with one.
    /// </summary>
    private static TNode AsStatementAfter<TNode>(TNode inserted, StatementSyntax original)
        where TNode : SyntaxNode
    {
        var endOfLine = original.GetTrailingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (!endOfLine.IsKind(SyntaxKind.EndOfLineTrivia))
        {
            endOfLine = ElasticCarriageReturnLineFeed;
        }

        var trailing = TriviaList(endOfLine);
        var statements = original.Parent switch
        {
            BlockSyntax block => block.Statements,
            SwitchSectionSyntax section => section.Statements,
            _ => default,
        };
        var index = statements.IndexOf(original);
        if (index >= 0 && index < statements.Count - 1
            && !statements[index + 1].GetLeadingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia)))
        {
            trailing = trailing.Add(endOfLine);
        }

        return inserted.WithLeadingTrivia().WithTrailingTrivia(trailing);
    }

    private static TNode WithBlankLineAfter<TNode>(TNode replacement, StatementSyntax original)
        where TNode : SyntaxNode
    {
        var trailing = original.GetTrailingTrivia();
        var statement = original.Parent is BlockSyntax or SwitchSectionSyntax or ElseClauseSyntax or IfStatementSyntax or GlobalStatementSyntax
            ? original
            : null;
        var owner = original.Parent is IfStatementSyntax or ElseClauseSyntax ? original.FirstAncestorOrSelf<IfStatementSyntax>(n => n.Parent is not ElseClauseSyntax) : statement;
        var followed = owner?.Parent switch
        {
            BlockSyntax block => block.Statements.IndexOf((StatementSyntax)owner) is var i && i >= 0 && i < block.Statements.Count - 1,
            SwitchSectionSyntax section => section.Statements.IndexOf((StatementSyntax)owner) is var j && j >= 0 && j < section.Statements.Count - 1,
            GlobalStatementSyntax { Parent: CompilationUnitSyntax unit } global
                => unit.Members.IndexOf(global) is var k && k >= 0 && k < unit.Members.Count - 1 && unit.Members[k + 1] is GlobalStatementSyntax,
            _ => false,
        };
        followed &= owner is not null && original.GetLastToken() == owner.GetLastToken();
        var endOfLine = trailing.LastOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (followed && endOfLine.IsKind(SyntaxKind.EndOfLineTrivia))
        {
            trailing = trailing.Add(endOfLine);
        }

        return replacement.WithLeadingTrivia(original.GetLeadingTrivia()).WithTrailingTrivia(trailing);
    }

    private static async Task<Document> ReplaceStatementAsync(
        Document document,
        StatementSyntax statement,
        System.Func<SemanticModel, SyntaxGenerator, StatementSyntax> build,
        CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var replacement = build(editor.SemanticModel, editor.Generator);
        if (replacement is IfStatementSyntax && statement.Parent is not (BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax))
        {
            // An embedded statement (if (x) connect(...); else ...): a bare 'if' would capture the outer 'else'.
            replacement = Block(replacement.WithoutTrivia())
                .WithTriviaFrom(replacement)
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        editor.ReplaceNode(statement, replacement);
        return await FinishAsync(editor.GetChangedDocument(), cancellationToken).ConfigureAwait(false);
    }
}
