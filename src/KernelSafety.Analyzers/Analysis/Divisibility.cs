using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Whether a value is a multiple of a constant on every path to an operation, from the tests that leave otherwise:
/// an earlier statement of an enclosing block <c>if (n % 2 != 0) throw ...;</c> (or <c>return</c>, <c>break</c>..., with
/// <c>(n &amp; 1) != 0</c>, <c>n % 2 == 1</c>, <c>n % 2 &gt; 0</c>, or such a test among <c>||</c>), or the operation inside
/// <c>if (n % 2 == 0) { ... }</c> (or the <c>else</c> of a test for the rest). A remainder by a multiple of the constant
/// counts (<c>n % 4 != 0</c> for 2). <see cref="PathFacts"/> hold only linear bounds, which cannot say this; one walk up
/// the operation's ancestors answers it, asked only where a rule needs it. Conservative: what it does not recognise is
/// not taken for a test.
/// </summary>
internal static class Divisibility
{
    /// <summary>
    /// True when, at <paramref name="at"/>, the value that <paramref name="isValue"/> recognises is a multiple of
    /// <paramref name="factor"/> (a power of two, at least 2) on every path.
    /// </summary>
    public static bool IsMultipleAt(IOperation at, Func<IOperation, bool> isValue, long factor, CancellationToken cancellationToken)
    {
        for (var current = at; current.Parent is { } parent; current = parent)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (parent)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
                case IConditionalOperation conditional when current == conditional.WhenTrue:
                    if (Implies(conditional.Condition, true, isValue, factor, 0))
                    {
                        return true;
                    }

                    break;
                case IConditionalOperation conditional when current == conditional.WhenFalse:
                    if (Implies(conditional.Condition, false, isValue, factor, 0))
                    {
                        return true;
                    }

                    break;
                case IBlockOperation block:
                    if (AnyLeavesUnlessMultiple(block.Operations, current, isValue, factor))
                    {
                        return true;
                    }

                    break;
                case ISwitchCaseOperation section:
                    if (AnyLeavesUnlessMultiple(section.Body, current, isValue, factor))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>True when a statement before <paramref name="current"/> is <c>if (test) leave;</c> and the value is a multiple wherever it does not leave.</summary>
    private static bool AnyLeavesUnlessMultiple(ImmutableArray<IOperation> statements, IOperation current, Func<IOperation, bool> isValue, long factor)
    {
        foreach (var statement in statements)
        {
            if (statement == current)
            {
                break;
            }

            if (statement is IConditionalOperation test
                && ((GuardAnalysis.AlwaysExits(test.WhenTrue) && Implies(test.Condition, false, isValue, factor, 0))
                    || (test.WhenFalse is not null && GuardAnalysis.AlwaysExits(test.WhenFalse) && Implies(test.Condition, true, isValue, factor, 0))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="condition"/> having the value <paramref name="value"/> makes the value a multiple of <paramref name="factor"/>.</summary>
    private static bool Implies(IOperation? condition, bool value, Func<IOperation, bool> isValue, long factor, int depth)
    {
        condition = LinearForm.Strip(condition);
        if (condition is null || depth > 8)
        {
            return false;
        }

        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not:
                return Implies(not.Operand, !value, isValue, factor, depth + 1);

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd, OperatorMethod: null } both:
                return value
                    ? Implies(both.LeftOperand, true, isValue, factor, depth + 1) || Implies(both.RightOperand, true, isValue, factor, depth + 1)
                    : Implies(both.LeftOperand, false, isValue, factor, depth + 1) && Implies(both.RightOperand, false, isValue, factor, depth + 1);

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr, OperatorMethod: null } either:
                return value
                    ? Implies(either.LeftOperand, true, isValue, factor, depth + 1) && Implies(either.RightOperand, true, isValue, factor, depth + 1)
                    : Implies(either.LeftOperand, false, isValue, factor, depth + 1) || Implies(either.RightOperand, false, isValue, factor, depth + 1);

            case IBinaryOperation { OperatorMethod: null } comparison:
                // The constant on the right: '0 != n % 2' reads as 'n % 2 != 0'.
                if (LinearForm.TryGetInteger(comparison.RightOperand, out var right))
                {
                    return Compares(comparison.OperatorKind, comparison.LeftOperand, right, value, isValue, factor);
                }

                return LinearForm.TryGetInteger(comparison.LeftOperand, out var left)
                    && Compares(Mirror(comparison.OperatorKind), comparison.RightOperand, left, value, isValue, factor);

            case IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern
                when LinearForm.TryGetInteger(constant.Value, out var matched):
                return Compares(BinaryOperatorKind.Equals, pattern.Value, matched, value, isValue, factor);

            case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation constant } } pattern
                when LinearForm.TryGetInteger(constant.Value, out var excluded):
                return Compares(BinaryOperatorKind.NotEquals, pattern.Value, excluded, value, isValue, factor);

            default:
                return false;
        }
    }

    private static BinaryOperatorKind Mirror(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        _ => kind,
    };

    /// <summary>
    /// True when <c>residue op constant</c> having the value <paramref name="value"/> makes the value a multiple of
    /// <paramref name="factor"/>, where <paramref name="residue"/> is <c>n % k</c> or <c>n &amp; m</c>: the residue is 0
    /// (<c>== 0</c> true, <c>!= 0</c> or <c>&gt; 0</c> false), or, for 2, not 1 (<c>n % 2 == 1</c> false, the odd test of a
    /// length that is not negative).
    /// </summary>
    private static bool Compares(BinaryOperatorKind kind, IOperation residue, long constant, bool value, Func<IOperation, bool> isValue, long factor)
    {
        var isZero = kind switch
        {
            BinaryOperatorKind.Equals when constant == 0 => value,
            BinaryOperatorKind.NotEquals when constant == 0 => !value,
            BinaryOperatorKind.GreaterThan when constant == 0 => !value,
            BinaryOperatorKind.GreaterThanOrEqual when constant == 1 => !value,
            BinaryOperatorKind.LessThanOrEqual when constant == 0 => value,
            BinaryOperatorKind.LessThan when constant == 1 => value,
            _ => false,
        };
        if (isZero)
        {
            return Residue(residue, isValue, factor, parityOnly: false);
        }

        var isNotOne = constant == 1 && kind switch
        {
            BinaryOperatorKind.Equals => !value,
            BinaryOperatorKind.NotEquals => value,
            _ => false,
        };
        return isNotOne && factor == 2 && Residue(residue, isValue, factor, parityOnly: true);
    }

    /// <summary>
    /// True when <paramref name="operation"/> is the value's remainder by a multiple of <paramref name="factor"/>
    /// (<c>n % 2</c>, <c>n % 4</c> for 2) or its low bits (<c>n &amp; 1</c>, <c>n &amp; 3</c> for 2). With
    /// <paramref name="parityOnly"/>, only <c>n % 2</c> and <c>n &amp; 1</c>, whose only values are 0 and 1.
    /// </summary>
    private static bool Residue(IOperation? operation, Func<IOperation, bool> isValue, long factor, bool parityOnly)
    {
        if (LinearForm.Strip(operation) is not IBinaryOperation { OperatorMethod: null } binary)
        {
            return false;
        }

        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.Remainder when LinearForm.TryGetInteger(binary.RightOperand, out var modulus):
                return (parityOnly ? modulus == 2 : modulus > 0 && modulus % factor == 0) && isValue(binary.LeftOperand);
            case BinaryOperatorKind.And:
                if (LinearForm.TryGetInteger(binary.RightOperand, out var mask))
                {
                    return Masks(mask, factor, parityOnly) && isValue(binary.LeftOperand);
                }

                return LinearForm.TryGetInteger(binary.LeftOperand, out mask) && Masks(mask, factor, parityOnly) && isValue(binary.RightOperand);
            default:
                return false;
        }
    }

    /// <summary>True when <c>(n &amp; mask) == 0</c> makes n a multiple of <paramref name="factor"/>: the mask keeps its low bits.</summary>
    private static bool Masks(long mask, long factor, bool parityOnly)
        => parityOnly ? mask == 1 : (mask & (factor - 1)) == factor - 1;
}
