using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// A static flag of a type that lets a thread start happen once however often its method runs (KS0006's
/// <see cref="WriterThreads"/>): <c>if (!s_started) { s_started = true; new Thread(Listen).Start(); }</c> in a public
/// constructor starts one listener, not one per instance.
/// </summary>
internal static class OnceFlags
{
    /// <summary>
    /// Whether the thread start <paramref name="start"/> sits behind a static flag of the type that lets it run once, however
    /// often its method runs: inside <c>if (!s_started) { s_started = true; ... }</c> (or <c>== false</c>, <c>== 0</c> with
    /// <c>= 1</c>), after <c>if (s_started) return; s_started = true;</c> in its block or one around it, or behind
    /// <c>Interlocked.Exchange(ref s_started, 1) == 0</c> / <c>Interlocked.CompareExchange(ref s_started, 1, 0) == 0</c>.
    /// A plain flag is trusted as a public method that starts a thread once would be: two racing first calls could both
    /// pass it. Returns the flag, or null; <see cref="IsNeverCleared"/> then checks that nothing lets the start run again.
    /// </summary>
    public static IFieldSymbol? Of(IOperation start, INamedTypeSymbol type)
    {
        IOperation node = start;
        for (var parent = start.Parent; parent is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; node = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IConditionalOperation conditional when ReferenceEquals(conditional.WhenTrue, node):
                    if (FlagTest(conditional.Condition, set: false, type) is { } test
                        && (test.Claims || SetsFlag(conditional.WhenTrue, test.Field)))
                    {
                        return test.Field;
                    }

                    break;
                case IBlockOperation block:
                    IFieldSymbol? leftIfSet = null;
                    if (ClaimedBefore(block.Operations, node, type, ref leftIfSet) is { } claimed)
                    {
                        return claimed;
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// The flag that the statements before <paramref name="node"/> claim: <c>if (s_started) return;</c> then
    /// <c>s_started = true;</c>, or an <c>Interlocked</c> claim with an exit, also inside a <c>lock</c> statement
    /// (<c>lock (gate) { if (s_started) return; s_started = true; }</c>, whose body runs whole before what follows).
    /// </summary>
    private static IFieldSymbol? ClaimedBefore(ImmutableArray<IOperation> statements, IOperation? node, INamedTypeSymbol type, ref IFieldSymbol? leftIfSet)
    {
        foreach (var statement in statements)
        {
            if (ReferenceEquals(statement, node))
            {
                break;
            }

            if (statement is IConditionalOperation { WhenFalse: null } exit && FailureChecks.Leaves(exit.WhenTrue, exit.SemanticModel)
                && FlagTest(exit.Condition, set: true, type) is { } exitTest)
            {
                if (exitTest.Claims)
                {
                    return exitTest.Field;
                }

                leftIfSet = exitTest.Field;
            }
            else if (leftIfSet is not null && SetsFlag(statement, leftIfSet))
            {
                return leftIfSet;
            }
            else if (statement is ILockOperation { Body: IBlockOperation locked }
                && ClaimedBefore(locked.Operations, node: null, type, ref leftIfSet) is { } claimed)
            {
                return claimed;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the type's source never lets <paramref name="flag"/> go back (to false or 0): every assignment to a name
    /// spelled like it stores <c>true</c> or 1, it is never incremented or decremented, and it is passed by <c>ref</c> only
    /// to an <c>Interlocked.Exchange</c> or <c>CompareExchange</c> that stores 1. A flag that a <c>Stop</c> clears lets a
    /// second thread start while the first may still run. Read from the syntax (a name spelled alike elsewhere only makes
    /// the answer no), once per flag.
    /// </summary>
    public static bool IsNeverCleared(IFieldSymbol flag, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (var part in type.DeclaringSyntaxReferences)
        {
            foreach (var node in part.GetSyntax(cancellationToken).DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax assignment when Names(assignment.Left, flag.Name):
                        // A static constructor's store runs before anything can start the thread.
                        if ((!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || !IsSetValue(assignment.Right))
                            && !InStaticConstructor(assignment))
                        {
                            return false;
                        }

                        break;
                    case TupleExpressionSyntax tuple when tuple.Parent is AssignmentExpressionSyntax && NamesAny(tuple, flag.Name):
                    case RefExpressionSyntax reference when Names(reference.Expression, flag.Name):
                    case PrefixUnaryExpressionSyntax address when address.IsKind(SyntaxKind.AddressOfExpression) && Names(address.Operand, flag.Name):
                        // (s_started, n) = (false, 0);  ref bool r = ref s_started;  &s_started: may be cleared.
                        return false;
                    case PostfixUnaryExpressionSyntax postfix when Names(postfix.Operand, flag.Name):
                        return false;
                    case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.PreIncrementExpression) || prefix.IsKind(SyntaxKind.PreDecrementExpression):
                        if (Names(prefix.Operand, flag.Name))
                        {
                            return false;
                        }

                        break;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument when Names(argument.Expression, flag.Name):
                        if (argument.Parent is not ArgumentListSyntax { Arguments: { Count: >= 2 } arguments, Parent: InvocationExpressionSyntax invocation }
                            || arguments[0] != argument
                            || !(Names(invocation.Expression, "Exchange") || Names(invocation.Expression, "CompareExchange"))
                            || !IsSetValue(arguments[1].Expression))
                        {
                            return false;
                        }

                        break;
                }
            }
        }

        return true;
    }

    private static bool NamesAny(TupleExpressionSyntax tuple, string name)
    {
        foreach (var argument in tuple.Arguments)
        {
            if (Names(argument.Expression, name) || argument.Expression is TupleExpressionSyntax inner && NamesAny(inner, name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool InStaticConstructor(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case ConstructorDeclarationSyntax constructor:
                    return constructor.Modifiers.Any(SyntaxKind.StaticKeyword);
                case MemberDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                    return false;
            }
        }

        return false;
    }

    private static bool Names(ExpressionSyntax expression, string name)
        => expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText == name,
            ParenthesizedExpressionSyntax parenthesized => Names(parenthesized.Expression, name),
            _ => false,
        };

    private static bool IsSetValue(ExpressionSyntax value)
        => value is LiteralExpressionSyntax literal
            && (literal.IsKind(SyntaxKind.TrueLiteralExpression) || literal.Token.Value is 1);

    /// <summary>
    /// A test of one of the type's static flags: with <paramref name="set"/> false, one true while the flag is not yet set
    /// (<c>!s_started</c>, <c>s_started == false</c>, <c>s_started == 0</c>); with it true, one true once it is set. An
    /// <c>Interlocked.Exchange</c> or <c>CompareExchange</c> that sets the flag as it tests it claims it.
    /// </summary>
    private static (IFieldSymbol Field, bool Claims)? FlagTest(IOperation condition, bool set, INamedTypeSymbol type)
    {
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, Operand: var operand }:
                return FlagTest(operand, !set, type);
            case IFieldReferenceOperation { Field: var field } when IsFlag(field, type) && field.Type.SpecialType == SpecialType.System_Boolean:
                return set ? (field, false) : null;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                when binary.RightOperand.ConstantValue is { HasValue: true, Value: var constant }:
                var notSet = constant is false or 0;
                var isSet = constant is true or 1;
                if (!notSet && !isSet)
                {
                    return null;
                }

                var whenTrueMeansSet = isSet == (binary.OperatorKind == BinaryOperatorKind.Equals);
                if (whenTrueMeansSet != set)
                {
                    return null;
                }

                switch (ByteOrder.StripConversions(binary.LeftOperand))
                {
                    case IFieldReferenceOperation { Field: var flag } when IsFlag(flag, type):
                        return (flag, false);
                    case IInvocationOperation { TargetMethod: { Name: "Exchange" or "CompareExchange", ContainingType: { Name: "Interlocked" } interlocked } } exchange
                        when SynchronizedRegion.IsSystemThreading(interlocked.ContainingNamespace)
                            && exchange.Arguments.Length >= 2
                            && ByteOrder.StripConversions(exchange.Arguments[0].Value) is IFieldReferenceOperation { Field: var claimed } && IsFlag(claimed, type)
                            && exchange.Arguments[1].Value.ConstantValue is { HasValue: true, Value: true or 1 }
                            && (exchange.Arguments.Length == 2 || exchange.Arguments[2].Value.ConstantValue is { HasValue: true, Value: false or 0 }):
                        // What the flag held before: 0 (or false) means this call set it.
                        return (claimed, true);
                    default:
                        return null;
                }

            default:
                return null;
        }
    }

    /// <summary>A private static <c>bool</c>, <c>int</c> or <c>long</c> field of <paramref name="type"/>: no other type can clear it.</summary>
    private static bool IsFlag(IFieldSymbol field, INamedTypeSymbol type)
        => field is { IsStatic: true, DeclaredAccessibility: Accessibility.Private }
            && field.Type.SpecialType is SpecialType.System_Boolean or SpecialType.System_Int32 or SpecialType.System_Int64
            && !IsThreadStatic(field)
            && SymbolEqualityComparer.Default.Equals(field.ContainingType?.OriginalDefinition, type);

    /// <summary>A <c>[ThreadStatic]</c> flag is one per thread: every thread that calls the method starts its own.</summary>
    private static bool IsThreadStatic(IFieldSymbol field)
    {
        foreach (var attribute in field.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "ThreadStaticAttribute" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="statement"/> stores <c>true</c> (or 1) in <paramref name="flag"/> whenever it runs: it is
    /// that assignment, or a block with that assignment among its own statements (not one nested in an <c>if</c>).
    /// </summary>
    private static bool SetsFlag(IOperation statement, IFieldSymbol flag)
    {
        if (statement is IBlockOperation block)
        {
            foreach (var inner in block.Operations)
            {
                if (SetsFlag(inner, flag))
                {
                    return true;
                }
            }

            return false;
        }

        return statement is IExpressionStatementOperation
        {
            Operation: ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Field: var target }, Value.ConstantValue: { HasValue: true, Value: true or 1 } },
        } && SymbolEqualityComparer.Default.Equals(target, flag);
    }
}
