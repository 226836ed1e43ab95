using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// The self-pipe wake-up: <c>pipe(fds)</c> once, then <c>write(fds[1], buf, 1)</c> to wake a thread blocked in
/// <c>poll</c>. A write of at most <see cref="MaxSignalBytes"/> bytes to a pipe is atomic (POSIX: at most PIPE_BUF
/// bytes are written whole or not at all), and its one everyday failure, a full pipe, means the reader is already
/// woken; ignoring its result is the idiom, not the listing's lost send. Likewise an eventfd's counter
/// (<c>_wake = eventfd(0, EFD_NONBLOCK)</c>, then <c>write(_wake, &amp;one, 8)</c>): its 8-byte write is whole or fails,
/// and it fails only when the counter would overflow, which a reader that is being woken never lets happen.
/// </summary>
internal static class WakeupPipes
{
    /// <summary>One byte for a pipe, eight for an eventfd counter: what a wake-up signal writes.</summary>
    public const int MaxSignalBytes = 8;

    /// <summary>
    /// True when <paramref name="write"/> (a P/Invoke'd libc <c>write</c>) writes a constant 1 to
    /// <see cref="MaxSignalBytes"/> bytes to an element of an array that the same type (for a field) or body (for a
    /// local) passes to a P/Invoke'd <c>pipe</c> or <c>pipe2</c>, or to a descriptor it assigns the result of a P/Invoke'd
    /// <c>eventfd</c>, in the same file.
    /// </summary>
    public static bool IsWakeupWrite(IInvocationOperation write, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        var fd = BufferViews.FindArgument(write.Arguments, 0);
        var count = BufferViews.FindArgument(write.Arguments, 2);
        if (!LinearForm.TryGetInteger(StripConversions(count), out var bytes) || bytes < 1 || bytes > MaxSignalBytes
            || write.SemanticModel is not { } model)
        {
            return false;
        }

        // fds[1] of a pipe's ends, or an eventfd's descriptor itself.
        var descriptor = StripConversions(fd);
        var pipeEnds = descriptor is IArrayElementReferenceOperation element ? StripConversions(element.ArrayReference) : null;
        var (variable, scope) = Variable(pipeEnds ?? descriptor, write, cancellationToken);
        return scope is not null && variable is not null
            && (pipeEnds is not null ? PassesToPipe(scope, variable, model, symbols, cancellationToken) : MadeByEventFd(scope, variable, model, symbols, cancellationToken));
    }

    /// <summary>The field (with its type's declaration in the write's file) or local (with its body) that <paramref name="operation"/> reads.</summary>
    private static (ISymbol? Variable, SyntaxNode? Scope) Variable(IOperation? operation, IOperation write, CancellationToken cancellationToken) => operation switch
    {
        IFieldReferenceOperation { Field: var field } => (field, DeclarationIn(field.ContainingType, write.Syntax.SyntaxTree, cancellationToken)),
        ILocalReferenceOperation { Local: var local } => (local, ResultUsage.GetRoot(write).Syntax),
        _ => (null, null),
    };

    /// <summary>Whether <paramref name="scope"/> assigns <paramref name="descriptor"/> (or declares it with) the result of a P/Invoke'd <c>eventfd</c>.</summary>
    private static bool MadeByEventFd(SyntaxNode scope, ISymbol descriptor, SemanticModel model, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        foreach (var node in scope.DescendantNodes())
        {
            if (node is not InvocationExpressionSyntax call)
            {
                continue;
            }

            // The value, through casts and parentheses, up to what receives it: 'fd = eventfd(...)', 'int fd = (int)eventfd(...)'.
            SyntaxNode value = call;
            while (value.Parent is CastExpressionSyntax or ParenthesizedExpressionSyntax)
            {
                value = value.Parent;
            }

            // What receives it ('fd = eventfd(...)', or a declarator's initializer): by name first, which is cheap.
            SyntaxNode? receiver = value.Parent switch
            {
                AssignmentExpressionSyntax { Left: var left } assignment when assignment.Right == value => left,
                EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => declarator,
                _ => null,
            };
            var named = receiver is VariableDeclaratorSyntax declared ? declared.Identifier.ValueText : receiver is ExpressionSyntax target ? Name(target) : null;
            if (named != descriptor.Name)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method
                && NativeMethods.GetEntryPoint(method, symbols) == NativeMethods.EventFd
                && SymbolEqualityComparer.Default.Equals(
                    receiver is VariableDeclaratorSyntax declaration ? model.GetDeclaredSymbol(declaration, cancellationToken) : model.GetSymbolInfo(receiver!, cancellationToken).Symbol,
                    descriptor))
            {
                return true;
            }
        }

        return false;
    }

    private static bool PassesToPipe(SyntaxNode scope, ISymbol pipeEnds, SemanticModel model, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        foreach (var node in scope.DescendantNodes())
        {
            // pipe(fds) or pipe2(fds, flags): the array is the first argument, spelled by its name.
            if (node is not InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 or 2 } arguments } call
                || Name(arguments[0].Expression) != pipeEnds.Name)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method
                && NativeMethods.GetEntryPoint(method, symbols) is NativeMethods.Pipe or NativeMethods.Pipe2
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(arguments[0].Expression, cancellationToken).Symbol, pipeEnds))
            {
                return true;
            }
        }

        return false;
    }

    private static string? Name(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax identifier } => identifier.Identifier.ValueText,
        _ => null,
    };

    /// <summary>The part of <paramref name="type"/> declared in <paramref name="tree"/>: the pipe must be bound with the write's own semantic model.</summary>
    private static SyntaxNode? DeclarationIn(INamedTypeSymbol? type, SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (type is null)
        {
            return null;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == tree)
            {
                return reference.GetSyntax(cancellationToken);
            }
        }

        return null;
    }

    private static IOperation? StripConversions(IOperation? operation) => operation is null ? null : ByteOrder.StripConversions(operation);
}
