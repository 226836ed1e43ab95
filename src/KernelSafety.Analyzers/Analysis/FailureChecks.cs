using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>A test of a value that separates its failure value from its success value.</summary>
internal readonly struct FailureTest
{
    public FailureTest(IConditionalOperation conditional, IOperation? failureBranch, bool failureIsTrue)
    {
        Conditional = conditional;
        FailureBranch = failureBranch;
        FailureIsTrue = failureIsTrue;
    }

    /// <summary>The <c>if</c> statement or conditional expression that tests the value.</summary>
    public IConditionalOperation Conditional { get; }

    /// <summary>The branch taken on failure; <c>null</c> when it is the missing <c>else</c> (failure falls through).</summary>
    public IOperation? FailureBranch { get; }

    /// <summary>True when the condition is true on failure (<c>k &lt; 0</c>), false when it is true on success (<c>k == 0</c>).</summary>
    public bool FailureIsTrue { get; }

    /// <summary>True when this is an <c>if</c> statement (not a <c>?:</c> expression).</summary>
    public bool IsStatement => Conditional.Syntax is IfStatementSyntax;
}

/// <summary>A <c>switch</c> statement on a value, with the sections its failure and success values select.</summary>
internal readonly struct SwitchTest
{
    public SwitchTest(ISwitchOperation @switch, ISwitchCaseOperation? failureCase, ISwitchCaseOperation? successCase)
    {
        Switch = @switch;
        FailureCase = failureCase;
        SuccessCase = successCase;
    }

    public ISwitchOperation Switch { get; }

    /// <summary>The section taken on failure; <c>null</c> when no section matches it and control goes past the switch.</summary>
    public ISwitchCaseOperation? FailureCase { get; }

    /// <summary>The section taken on success; <c>null</c> when no section matches it.</summary>
    public ISwitchCaseOperation? SuccessCase { get; }

    /// <summary>
    /// The <c>break</c> that ends the failure section when the section only runs to it (no return, throw, jump or call
    /// that does not return before it): control goes on after the switch. Null otherwise.
    /// </summary>
    public IBranchOperation? FailureFallsOutAt
    {
        get
        {
            var body = Statements(FailureCase);
            if (body.Length == 0
                || body[body.Length - 1] is not IBranchOperation { BranchKind: BranchKind.Break } exit
                || !SymbolEqualityComparer.Default.Equals(exit.Target, Switch.ExitLabel))
            {
                return null;
            }

            for (var i = 0; i < body.Length - 1; i++)
            {
                foreach (var operation in body[i].DescendantsAndSelf())
                {
                    if (operation is IBranchOperation or IReturnOperation or IThrowOperation
                        || (operation is IInvocationOperation call && FailureChecks.IsThrowHelper(call.TargetMethod)))
                    {
                        return null;
                    }
                }
            }

            return exit;
        }
    }

    /// <summary>A section's statements, those of its block when it is written in braces (<c>case -1: { ... }</c>).</summary>
    public static ImmutableArray<IOperation> Statements(ISwitchCaseOperation? section)
        => section is null ? ImmutableArray<IOperation>.Empty
            : section.Body.Length == 1 && section.Body[0] is IBlockOperation block ? block.Operations
            : section.Body;
}

/// <summary>
/// Recognises tests of a result against its failure value (<c>k &lt; 0</c>, <c>k == -1</c>, <c>k != 0</c>,
/// <c>k is &lt; 0</c>, <c>!(k &gt;= 0)</c>, <c>k &lt; 0 || other</c>) and decides whether the failure branch
/// leaves (return, throw, break, continue, goto, a <c>[DoesNotReturn]</c> call). Shared by the rules that ask
/// "is this native result checked?" (KS0002 connect/socket, KS0005 send).
/// </summary>
internal static class FailureChecks
{
    /// <summary>
    /// When <paramref name="occurrence"/> (a read of the result, or the call itself) is tested by an enclosing
    /// <c>if</c>/<c>?:</c> whose outcome differs between <paramref name="failureValue"/> and
    /// <paramref name="successValue"/>, returns that test.
    /// </summary>
    public static bool TryGetFailureTest(IOperation occurrence, long failureValue, long successValue, out FailureTest test)
    {
        test = default;

        // Climb through the boolean structure that contains the occurrence: comparison, pattern, !, &&, ||.
        var condition = ResultUsage.SkipConversionsUp(occurrence);
        var sawTest = false;
        while (condition.Parent is { } parent)
        {
            if (parent is IBinaryOperation or IIsPatternOperation or IUnaryOperation { OperatorKind: UnaryOperatorKind.Not }
                or IConversionOperation or IParenthesizedOperation)
            {
                if (parent is IBinaryOperation or IIsPatternOperation)
                {
                    sawTest = true;
                }

                condition = parent;
                continue;
            }

            break;
        }

        if (!sawTest || condition.Parent is not IConditionalOperation conditional || conditional.Condition != condition)
        {
            return false;
        }

        var onFailure = Evaluate(condition, occurrence, failureValue);
        var onSuccess = Evaluate(condition, occurrence, successValue);
        if (onFailure is not bool failure || onSuccess is not bool success || failure == success)
        {
            return false;
        }

        test = new FailureTest(conditional, failure ? conditional.WhenTrue : conditional.WhenFalse, failure);
        return true;
    }

    /// <summary>
    /// When <paramref name="occurrence"/> is the value of a <c>switch</c> statement whose sections tell
    /// <paramref name="failureValue"/> from <paramref name="successValue"/> (<c>case -1:</c>, <c>case &lt; 0:</c>,
    /// <c>default:</c>), returns the switch and the section each value selects (<c>null</c>: none, control goes past
    /// the switch). False when a clause cannot be read (a guard, a non-constant value) or both values select the same.
    /// </summary>
    public static bool TryGetSwitchTest(IOperation occurrence, long failureValue, long successValue, out SwitchTest test)
    {
        test = default;
        var consumed = ResultUsage.SkipConversionsUp(occurrence);
        if (consumed.Parent is not ISwitchOperation @switch || @switch.Value != consumed)
        {
            return false;
        }

        ISwitchCaseOperation? onFailure = null;
        ISwitchCaseOperation? onSuccess = null;
        ISwitchCaseOperation? otherwise = null;
        foreach (var section in @switch.Cases)
        {
            foreach (var clause in section.Clauses)
            {
                bool? failure;
                bool? success;
                switch (clause)
                {
                    case IDefaultCaseClauseOperation:
                        otherwise = section;
                        continue;
                    case ISingleValueCaseClauseOperation { Value: var value } when TryGetInteger(value, out var constant):
                        failure = constant == failureValue;
                        success = constant == successValue;
                        break;
                    case IPatternCaseClauseOperation { Guard: null, Pattern: var pattern }:
                        failure = Match(pattern, failureValue);
                        success = Match(pattern, successValue);
                        break;
                    default:
                        return false;
                }

                if (failure is null || success is null)
                {
                    return false;
                }

                if (failure.Value)
                {
                    onFailure ??= section;
                }

                if (success.Value)
                {
                    onSuccess ??= section;
                }
            }
        }

        onFailure ??= otherwise;
        onSuccess ??= otherwise;
        if (onFailure == onSuccess)
        {
            return false;
        }

        test = new SwitchTest(@switch, onFailure, onSuccess);
        return true;
    }

    /// <summary>
    /// The value of <paramref name="condition"/> when <paramref name="occurrence"/> equals <paramref name="sample"/>,
    /// or <c>null</c> when it cannot be told (the condition depends on something else, or is not a plain test).
    /// </summary>
    public static bool? Evaluate(IOperation condition, IOperation occurrence, long sample)
        => Evaluate(condition, candidate => IsOccurrence(candidate, occurrence), sample);

    /// <summary>
    /// The value of <paramref name="condition"/> when the operands recognised by <paramref name="isOccurrence"/> equal
    /// <paramref name="sample"/>, or <c>null</c> when it cannot be told.
    /// </summary>
    public static bool? Evaluate(IOperation condition, Func<IOperation?, bool> isOccurrence, long sample)
    {
        switch (condition)
        {
            case IConversionOperation conversion:
                return Evaluate(conversion.Operand, isOccurrence, sample);
            case IParenthesizedOperation parenthesized:
                return Evaluate(parenthesized.Operand, isOccurrence, sample);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return Evaluate(not.Operand, isOccurrence, sample) is bool b ? !b : null;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or } or:
                {
                    var left = Evaluate(or.LeftOperand, isOccurrence, sample);
                    var right = Evaluate(or.RightOperand, isOccurrence, sample);
                    if (left == true || right == true)
                    {
                        return true;
                    }

                    return left == false && right == false ? false : null;
                }

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And } and:
                {
                    var left = Evaluate(and.LeftOperand, isOccurrence, sample);
                    var right = Evaluate(and.RightOperand, isOccurrence, sample);
                    if (left == false || right == false)
                    {
                        return false;
                    }

                    return left == true && right == true ? true : null;
                }

            case IBinaryOperation comparison:
                {
                    var left = ResultUsage.SkipConversionsDown(comparison.LeftOperand);
                    var right = ResultUsage.SkipConversionsDown(comparison.RightOperand);
                    if (isOccurrence(left) && TryGetInteger(comparison.RightOperand, out var rightConstant))
                    {
                        return Compare(comparison.OperatorKind, sample, rightConstant);
                    }

                    if (isOccurrence(right) && TryGetInteger(comparison.LeftOperand, out var leftConstant))
                    {
                        return Compare(comparison.OperatorKind, leftConstant, sample);
                    }

                    return null;
                }

            case IIsPatternOperation isPattern when isOccurrence(ResultUsage.SkipConversionsDown(isPattern.Value)):
                return Match(isPattern.Pattern, sample);
            default:
                return null;
        }
    }

    /// <summary>
    /// True when control cannot leave the end of <paramref name="branch"/>: it returns, throws, breaks, continues,
    /// jumps, or ends with a call to a <c>[DoesNotReturn]</c> method. A <c>null</c> branch (missing <c>else</c>) falls through.
    /// </summary>
    public static bool Leaves(IOperation? branch, SemanticModel? semanticModel)
    {
        switch (branch)
        {
            case null:
                return false;
            case IThrowOperation:
                return true;
            case IBlockOperation block when block.Operations.Length > 0 && EndsWithDoesNotReturn(block.Operations[block.Operations.Length - 1]):
                return true;
            case IExpressionStatementOperation statement when EndsWithDoesNotReturn(statement):
                return true;
        }

        if (branch.Syntax is StatementSyntax statementSyntax && semanticModel is not null)
        {
            // Fast paths before the (costly) region flow analysis, which decides only when neither applies.
            switch (LastStatement(branch))
            {
                case IReturnOperation or IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation } or IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue or BranchKind.GoTo }:
                    return true; // the statement ends in a jump: its end point is unreachable
            }

            if (!ContainsJump(branch))
            {
                return false; // no return, throw, jump or loop anywhere in it: control reaches its end
            }

            var flow = semanticModel.AnalyzeControlFlow(statementSyntax);
            return flow is { Succeeded: true, EndPointIsReachable: false };
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="branch"/> records the failure in some state (an assignment, an increment, an
    /// <c>out</c>/<c>ref</c> argument) that later code may test, rather than only reporting it.
    /// </summary>
    public static bool RecordsState(IOperation? branch)
    {
        if (branch is null)
        {
            return false;
        }

        foreach (var operation in branch.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IAssignmentOperation:
                case IIncrementOrDecrementOperation:
                case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>The statement control runs last in <paramref name="statement"/>: the last of nested blocks, else itself.</summary>
    private static IOperation LastStatement(IOperation statement)
    {
        while (statement is IBlockOperation { Operations.Length: > 0 } block)
        {
            statement = block.Operations[block.Operations.Length - 1];
        }

        return statement;
    }

    /// <summary>True when something under <paramref name="statement"/> may end its flow early (or never end it).</summary>
    private static bool ContainsJump(IOperation statement)
    {
        foreach (var operation in statement.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IReturnOperation:
                case IThrowOperation:
                case IBranchOperation:
                case ILoopOperation:
                case ISwitchOperation:
                case ILabeledOperation:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="branch"/> leaves on some of its paths (a <c>return</c>, <c>throw</c> or throw-helper call
    /// of its own, not in a nested function): the author decided which failures to leave on (<c>EINPROGRESS</c>,
    /// <c>if (e.SocketErrorCode != SocketError.WouldBlock) throw;</c>) rather than only reporting them.
    /// </summary>
    public static bool LeavesOnSomePath(IOperation? branch)
    {
        if (branch is null)
        {
            return false;
        }

        foreach (var operation in branch.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IReturnOperation { IsImplicit: false }:
                case IThrowOperation:
                case IInvocationOperation invocation when IsThrowHelper(invocation.TargetMethod):
                    return !IsInNestedFunction(operation, branch);
            }
        }

        return false;
    }

    private static bool ContainsReturn(SyntaxNode body)
    {
        foreach (var node in body.DescendantNodes())
        {
            if (node is ReturnStatementSyntax)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInNestedFunction(IOperation operation, IOperation branch)
    {
        for (var node = operation.Parent; node is not null && node != branch; node = node.Parent)
        {
            if (node is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool EndsWithDoesNotReturn(IOperation statement)
        => statement is IExpressionStatementOperation { Operation: IInvocationOperation invocation }
            && IsThrowHelper(invocation.TargetMethod);

    /// <summary>
    /// A call that never returns: <c>[DoesNotReturn]</c>, a <c>Throw...</c> helper (not <c>ThrowIf...</c>, which returns
    /// when its condition is false), or a method in source whose body is only a <c>throw</c>.
    /// </summary>
    public static bool IsThrowHelper(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "DoesNotReturnAttribute" })
            {
                return true;
            }
        }

        if (!method.ReturnsVoid)
        {
            return false;
        }

        var name = method.Name;
        if (name.StartsWith("Throw", StringComparison.Ordinal) && !name.StartsWith("ThrowIf", StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var body = reference.GetSyntax() switch
            {
                MethodDeclarationSyntax declaration => (SyntaxNode?)declaration.ExpressionBody?.Expression ?? declaration.Body,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.ExpressionBody?.Expression ?? local.Body,
                _ => null,
            };
            if (body is ThrowExpressionSyntax
                || (body is BlockSyntax block && block.Statements.Count > 0 && block.Statements[block.Statements.Count - 1] is ThrowStatementSyntax
                    && !ContainsReturn(block)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsOccurrence(IOperation? candidate, IOperation occurrence)
    {
        if (candidate is null)
        {
            return false;
        }

        if (candidate == occurrence || candidate == ResultUsage.SkipConversionsDown(occurrence))
        {
            return true;
        }

        // A read of the same local at the same place (the tree may hold the conversion, not the reference).
        return candidate.Syntax == occurrence.Syntax;
    }

    private static bool TryGetInteger(IOperation operation, out long value)
    {
        value = 0;
        var constant = operation.ConstantValue;
        if (!constant.HasValue || constant.Value is null)
        {
            return false;
        }

        switch (constant.Value)
        {
            case int i: value = i; return true;
            case long l: value = l; return true;
            case short s: value = s; return true;
            case sbyte sb: value = sb; return true;
            case byte b: value = b; return true;
            case ushort us: value = us; return true;
            case uint ui: value = ui; return true;
            case nint n: value = n; return true;
            default: return false;
        }
    }

    private static bool? Compare(BinaryOperatorKind kind, long left, long right)
        => kind switch
        {
            BinaryOperatorKind.LessThan => left < right,
            BinaryOperatorKind.LessThanOrEqual => left <= right,
            BinaryOperatorKind.GreaterThan => left > right,
            BinaryOperatorKind.GreaterThanOrEqual => left >= right,
            BinaryOperatorKind.Equals => left == right,
            BinaryOperatorKind.NotEquals => left != right,
            _ => null,
        };

    private static bool? Match(IPatternOperation pattern, long sample)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant when TryGetInteger(constant.Value, out var value):
                return sample == value;
            case IRelationalPatternOperation relational when TryGetInteger(relational.Value, out var bound):
                return Compare(relational.OperatorKind, sample, bound);
            case INegatedPatternOperation negated:
                return Match(negated.Pattern, sample) is bool b ? !b : null;
            case IBinaryPatternOperation binary:
                {
                    var left = Match(binary.LeftPattern, sample);
                    var right = Match(binary.RightPattern, sample);
                    if (left is null || right is null)
                    {
                        return null;
                    }

                    return binary.OperatorKind == BinaryOperatorKind.Or ? left.Value || right.Value : left.Value && right.Value;
                }

            default:
                return null;
        }
    }
}
