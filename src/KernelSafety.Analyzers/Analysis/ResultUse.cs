using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>How the value of an expression (typically an invocation's result) is used. Flags add up over every use.</summary>
[Flags]
internal enum ResultUses
{
    None = 0,

    /// <summary>The value is thrown away: an expression statement or <c>_ = ...</c>.</summary>
    Discarded = 1 << 0,

    /// <summary>The value is stored in a local that is never read.</summary>
    Unread = 1 << 1,

    /// <summary>Returned, passed as an argument, or stored in a field, property, element or ref/out parameter: someone else checks it.</summary>
    PassedOn = 1 << 2,

    /// <summary>Compared with a negative bound: <c>&lt; 0</c>, <c>== -1</c>, <c>&gt;= 0</c>, <c>&lt;= 0</c>...</summary>
    ErrorCheck = 1 << 3,

    /// <summary>Compared with zero for equality only: <c>!= 0</c>, <c>== 0</c>. -1 (a failure) reads as success.</summary>
    ZeroTest = 1 << 4,

    /// <summary>Compared with a non-constant or with a positive constant: a length.</summary>
    LengthComparison = 1 << 5,

    /// <summary>Used in arithmetic or a compound assignment (<c>sent += n</c>): a running total.</summary>
    Accumulated = 1 << 6,

    /// <summary>Any other read (a switch, an interpolation...): the analysis cannot tell, so callers stay quiet.</summary>
    Other = 1 << 7,

    /// <summary>Tested for a positive count only: <c>&gt; 0</c>, <c>&gt;= 1</c>. -1 fails the test, but a partial count passes it.</summary>
    PositiveTest = 1 << 8,
}

/// <summary>
/// Follows the value of an expression through conversions, locals it is stored in, and the uses of those
/// locals, and says how it is used: discarded, returned or passed on, compared (with what), accumulated.
/// </summary>
internal static class ResultUse
{
    private const int MaxLocalDepth = 3;

    /// <summary>
    /// The uses of <paramref name="value"/>. <paramref name="root"/> is the outermost operation of the
    /// method (its body) in which locals holding the value are looked up.
    /// </summary>
    public static ResultUses Analyze(IOperation value, IOperation root, CancellationToken cancellationToken)
        => Analyze(value, root, depth: 0, cancellationToken);

    /// <summary>The local that <paramref name="value"/> is stored in directly (<c>var n = value;</c> or <c>n = value;</c>), else null.</summary>
    public static ILocalSymbol? GetStoringLocal(IOperation value)
    {
        var use = SkipConversions(value);
        return use.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == use => local.Local,
            _ => null,
        };
    }

    /// <summary>True when <paramref name="local"/> is read anywhere under <paramref name="root"/> (not merely written).</summary>
    public static bool IsRead(ILocalSymbol local, IOperation root, IOperation? except, CancellationToken cancellationToken)
    {
        foreach (var reference in BodyReferences.Of(root).OfLocal(local))
        {
            if (!reference.IsDeclaration
                && !IsWriteOnly(reference)
                && !IsInside(reference, except))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInside(IOperation operation, IOperation? ancestor)
    {
        if (ancestor is null)
        {
            return false;
        }

        for (var current = operation; current is not null; current = current.Parent)
        {
            if (current == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static ResultUses Analyze(IOperation value, IOperation root, int depth, CancellationToken cancellationToken)
    {
        var use = SkipConversions(value);
        var parent = use.Parent;
        switch (parent)
        {
            case null:
                return ResultUses.Other;
            case IExpressionStatementOperation:
                return ResultUses.Discarded;
            case IReturnOperation:
            case IArgumentOperation:
            case IArrayInitializerOperation:
            case IPropertyInitializerOperation:
            case IFieldInitializerOperation:
            case ITupleOperation:
                return ResultUses.PassedOn;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return AnalyzeLocal(declarator.Symbol, root, depth, cancellationToken);
            case ISimpleAssignmentOperation assignment when assignment.Value == use:
                return AnalyzeAssignment(assignment, root, depth, cancellationToken);
            case ICompoundAssignmentOperation:
                return ResultUses.Accumulated;
            case IBinaryOperation binary:
                return AnalyzeBinary(binary, use);
            case IIsPatternOperation isPattern:
                return ClassifyPattern(isPattern.Pattern);
            case ISwitchOperation @switch when @switch.Value == use:
                return OrDiscarded(ClassifySwitch(@switch));
            case ISwitchExpressionOperation @switch when @switch.Value == use:
                return OrDiscarded(ClassifySwitch(@switch));
            default:
                return ResultUses.Other;
        }
    }

    /// <summary>
    /// <c>switch (n) { case -1: ...; case 0: ...; }</c>: each case label is a comparison of its own, as an <c>or</c>
    /// pattern's sides are; a <c>default</c> compares nothing (a switch with only a default reads the value for
    /// nothing); a guard (<c>when</c>) is a test the analysis cannot read.
    /// </summary>
    private static ResultUses ClassifySwitch(ISwitchOperation @switch)
    {
        var uses = ResultUses.None;
        foreach (var section in @switch.Cases)
        {
            foreach (var clause in section.Clauses)
            {
                uses |= clause switch
                {
                    IDefaultCaseClauseOperation => ResultUses.None,
                    ISingleValueCaseClauseOperation { Value: var value } when TryGetInteger(value, out var constant)
                        => ClassifyComparison(BinaryOperatorKind.Equals, constant),
                    IPatternCaseClauseOperation { Guard: null, Pattern: var pattern } => ClassifyArm(pattern),
                    _ => ResultUses.Other,
                };
            }
        }

        return uses;
    }

    /// <summary><c>n switch { -1 =&gt; ..., 0 =&gt; ..., _ =&gt; ... }</c>, read as <see cref="ClassifySwitch(ISwitchOperation)"/>.</summary>
    private static ResultUses ClassifySwitch(ISwitchExpressionOperation @switch)
    {
        var uses = ResultUses.None;
        foreach (var arm in @switch.Arms)
        {
            uses |= arm.Guard is null ? ClassifyArm(arm.Pattern) : ResultUses.Other;
        }

        return uses;
    }

    /// <summary>A switch that compares nothing (only <c>default</c> or <c>_</c>) throws the value away.</summary>
    private static ResultUses OrDiscarded(ResultUses uses) => uses == ResultUses.None ? ResultUses.Discarded : uses;

    private static ResultUses ClassifyArm(IPatternOperation pattern)
        => pattern is IDiscardPatternOperation ? ResultUses.None : ClassifyPattern(pattern);

    private static ResultUses AnalyzeAssignment(ISimpleAssignmentOperation assignment, IOperation root, int depth, CancellationToken cancellationToken)
    {
        switch (assignment.Target)
        {
            case IDiscardOperation:
                return ResultUses.Discarded;
            case ILocalReferenceOperation local:
                var uses = AnalyzeLocal(local.Local, root, depth, cancellationToken);
                if (assignment.Parent is not IExpressionStatementOperation)
                {
                    // (n = send(...)) < 0: the assignment's own value is used too.
                    uses |= Analyze(assignment, root, depth, cancellationToken);
                }

                return uses;
            default:
                // Field, property, array element, ref/out parameter: the value leaves the method.
                return ResultUses.PassedOn;
        }
    }

    private static ResultUses AnalyzeLocal(ILocalSymbol local, IOperation root, int depth, CancellationToken cancellationToken)
    {
        if (depth >= MaxLocalDepth || local.IsRef)
        {
            return ResultUses.Other;
        }

        var uses = ResultUses.None;
        foreach (var reference in BodyReferences.Of(root).OfLocal(local))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (reference.IsDeclaration || IsWriteOnly(reference))
            {
                continue;
            }

            uses |= Analyze(reference, root, depth + 1, cancellationToken);
        }

        return uses == ResultUses.None ? ResultUses.Unread : uses;
    }

    /// <summary>True when the reference is only written: the target of a simple assignment, or an out argument.</summary>
    private static bool IsWriteOnly(ILocalReferenceOperation reference)
    {
        switch (reference.Parent)
        {
            case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                return true;
            case IArgumentOperation { Parameter.RefKind: RefKind.Out }:
                return true;
            case IDeclarationExpressionOperation { Parent: IArgumentOperation { Parameter.RefKind: RefKind.Out } }:
                return true;
            default:
                return false;
        }
    }

    private static ResultUses AnalyzeBinary(IBinaryOperation binary, IOperation use)
    {
        var onLeft = SkipConversions(binary.LeftOperand) == use || binary.LeftOperand == use;
        var other = onLeft ? binary.RightOperand : binary.LeftOperand;
        var kind = binary.OperatorKind;
        switch (kind)
        {
            case BinaryOperatorKind.Equals:
            case BinaryOperatorKind.NotEquals:
            case BinaryOperatorKind.LessThan:
            case BinaryOperatorKind.LessThanOrEqual:
            case BinaryOperatorKind.GreaterThan:
            case BinaryOperatorKind.GreaterThanOrEqual:
                break;
            default:
                return ResultUses.Accumulated;
        }

        if (!TryGetInteger(other, out var constant))
        {
            return ResultUses.LengthComparison;
        }

        // Normalise to "value <op> constant".
        if (!onLeft)
        {
            kind = kind switch
            {
                BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
                BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
                BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
                BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
                _ => kind,
            };
        }

        return ClassifyComparison(kind, constant);
    }

    private static ResultUses ClassifyComparison(BinaryOperatorKind kind, long constant)
    {
        // Which values of the result does "value <op> constant" separate? -1 (the error) on one side and
        // every successful count on the other is an error check; 0 against the rest is a zero test.
        switch (kind)
        {
            case BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals:
                return constant switch
                {
                    < 0 => ResultUses.ErrorCheck,
                    0 => ResultUses.ZeroTest,
                    _ => ResultUses.LengthComparison,
                };
            case BinaryOperatorKind.LessThan or BinaryOperatorKind.GreaterThanOrEqual:
                // n < c / n >= c
                return constant switch
                {
                    <= 0 => ResultUses.ErrorCheck,
                    1 => ResultUses.PositiveTest,
                    _ => ResultUses.LengthComparison,
                };
            default:
                // n <= c / n > c
                return constant switch
                {
                    < 0 => ResultUses.ErrorCheck,
                    0 => kind == BinaryOperatorKind.LessThanOrEqual ? ResultUses.ErrorCheck : ResultUses.PositiveTest,
                    _ => ResultUses.LengthComparison,
                };
        }
    }

    private static ResultUses ClassifyPattern(IPatternOperation pattern)
    {
        switch (pattern)
        {
            case INegatedPatternOperation negated:
                return ClassifyPattern(negated.Pattern);
            case IBinaryPatternOperation combined:
                // n is -1 or 0: each side is a comparison of its own.
                return ClassifyPattern(combined.LeftPattern) | ClassifyPattern(combined.RightPattern);
            case IConstantPatternOperation constant when TryGetInteger(constant.Value, out var value):
                return ClassifyComparison(BinaryOperatorKind.Equals, value);
            case IRelationalPatternOperation relational when TryGetInteger(relational.Value, out var value):
                return ClassifyComparison(relational.OperatorKind, value);
            default:
                return ResultUses.Other;
        }
    }

    private static bool TryGetInteger(IOperation operation, out long value)
    {
        var constant = operation.ConstantValue;
        if (constant.HasValue)
        {
            switch (constant.Value)
            {
                case int i:
                    value = i;
                    return true;
                case long l:
                    value = l;
                    return true;
                case short s:
                    value = s;
                    return true;
                case sbyte sb:
                    value = sb;
                    return true;
                case uint ui:
                    value = ui;
                    return true;
                case byte b:
                    value = b;
                    return true;
                case ushort us:
                    value = us;
                    return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>The outermost conversion wrapping <paramref name="operation"/> (implicit or explicit casts).</summary>
    public static IOperation SkipConversions(IOperation operation)
    {
        var current = operation;
        while (current.Parent is IConversionOperation conversion && conversion.Operand == current)
        {
            current = conversion;
        }

        return current;
    }
}
