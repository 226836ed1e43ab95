using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>What the code does with the value an expression produces.</summary>
internal enum ResultUseKind
{
    /// <summary>Nothing: an expression statement or an assignment to the discard <c>_</c>.</summary>
    Discarded,

    /// <summary>Returned to the caller (<c>return</c>, expression-bodied member or lambda).</summary>
    Returned,

    /// <summary>Passed as an argument to another call or constructor.</summary>
    PassedOn,

    /// <summary>Awaited (<c>await</c>).</summary>
    Awaited,

    /// <summary>Stored in a local variable (declaration initializer or assignment).</summary>
    StoredInLocal,

    /// <summary>Stored in a field, property, array element or parameter.</summary>
    StoredElsewhere,

    /// <summary>Operand of a comparison, an <c>is</c> pattern or a logical operator.</summary>
    Tested,

    /// <summary>Receiver of a member access (<c>task.Wait(...)</c>, <c>task.ConfigureAwait(false)</c>).</summary>
    Receiver,

    /// <summary>Anything else (arithmetic, string interpolation, switch...).</summary>
    Other,
}

/// <summary>
/// Classifies how a value (typically a call's result) is consumed, looking through conversions,
/// and finds the later reads of a local the value was stored in. Shared by the rules that ask
/// "is this result ignored?" (KS0002 socket setup, KS0005 send results).
/// </summary>
internal static class ResultUsage
{
    /// <summary>
    /// True when <paramref name="read"/> only goes into a message that is printed or logged: an argument (alone, or
    /// inside an interpolated string, a concatenation, <c>string.Format</c>, <c>ToString()</c> or a params array) of
    /// <c>Console.Write</c>/<c>WriteLine</c> (also on <c>Console.Error</c>/<c>Out</c>), <c>Debug</c>/<c>Trace</c>
    /// <c>Write*</c>/<c>Print</c>/<c>Trace*</c>, or <c>Microsoft.Extensions.Logging</c>'s <c>Log*</c> extensions.
    /// </summary>
    public static bool IsOnlyLogged(IOperation read)
    {
        var node = read;
        while (node.Parent is { } parent)
        {
            switch (parent)
            {
                case IConversionOperation:
                case IInterpolationOperation:
                case IInterpolatedStringOperation:
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String }:
                case IArrayInitializerOperation:
                case IArrayCreationOperation:
                case IInvocationOperation { TargetMethod.Name: "ToString" } toString when toString.Instance == node:
                    node = parent; // rc.ToString(), a params array of a format call
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { ContainingType.SpecialType: SpecialType.System_String, Name: "Format" or "Concat" } } format }:
                    node = format; // string.Format("rc={0}", rc) is a message too
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation call }:
                    return call.TargetMethod.ReturnsVoid && IsLogging(call);
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool IsLogging(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        var type = method.ContainingType;
        if (type is null)
        {
            return false;
        }

        var space = type.ContainingNamespace?.ToDisplayString();
        return type.Name switch
        {
            "Console" => space == "System" && method.Name is "Write" or "WriteLine",
            // Console.Error.WriteLine(rc), Console.Out.Write(rc)
            "TextWriter" => method.Name is "Write" or "WriteLine"
                && call.Instance is IPropertyReferenceOperation { Property: { Name: "Error" or "Out", ContainingType.Name: "Console" } },
            "Debug" or "Trace" => space == "System.Diagnostics"
                && (method.Name.StartsWith("Write", StringComparison.Ordinal) || method.Name.StartsWith("Trace", StringComparison.Ordinal) || method.Name == "Print"),
            "LoggerExtensions" => space == "Microsoft.Extensions.Logging" && method.Name.StartsWith("Log", StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Walks up from <paramref name="value"/> through implicit and explicit conversions and parentheses.</summary>
    public static IOperation SkipConversionsUp(IOperation value)
    {
        var current = value;
        while (current.Parent is IConversionOperation or IParenthesizedOperation)
        {
            current = current.Parent;
        }

        return current;
    }

    /// <summary>Strips conversions and parentheses from <paramref name="operation"/>.</summary>
    public static IOperation? SkipConversionsDown(IOperation? operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>
    /// How <paramref name="value"/> is consumed by its parent. <paramref name="consumer"/> is the parent operation
    /// (the statement, assignment, argument, await, comparison or member access); <paramref name="local"/> is the
    /// local the value is stored in for <see cref="ResultUseKind.StoredInLocal"/>.
    /// </summary>
    public static ResultUseKind Classify(IOperation value, out IOperation? consumer, out ILocalSymbol? local)
    {
        local = null;
        var consumed = SkipConversionsUp(value);
        consumer = consumed.Parent;
        switch (consumer)
        {
            case null:
                return ResultUseKind.Other;
            case IExpressionStatementOperation:
                return ResultUseKind.Discarded;
            case ISimpleAssignmentOperation assignment when assignment.Value == consumed:
                switch (SkipConversionsDown(assignment.Target))
                {
                    case IDiscardOperation:
                        return ResultUseKind.Discarded;
                    case ILocalReferenceOperation localReference:
                        local = localReference.Local;
                        return ResultUseKind.StoredInLocal;
                    default:
                        return ResultUseKind.StoredElsewhere;
                }

            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                local = declarator.Symbol;
                return ResultUseKind.StoredInLocal;
            case IReturnOperation:
                return ResultUseKind.Returned;
            case IArgumentOperation:
            case IObjectCreationOperation:
            case IArrayElementReferenceOperation:
                return ResultUseKind.PassedOn;
            case IAwaitOperation:
                return ResultUseKind.Awaited;
            case IBinaryOperation:
            case IIsPatternOperation:
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not }:
                return ResultUseKind.Tested;
            case IInvocationOperation invocation when invocation.Instance == consumed:
            case IPropertyReferenceOperation property when property.Instance == consumed:
                return ResultUseKind.Receiver;
            default:
                return ResultUseKind.Other;
        }
    }

    /// <summary>The root of the operation tree that holds <paramref name="operation"/> (the method body).</summary>
    public static IOperation GetRoot(IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
        }

        return current;
    }

    /// <summary>True when <paramref name="reference"/> is written rather than read (assignment target, out/ref argument).</summary>
    public static bool IsWrite(IOperation reference)
    {
        var consumed = SkipConversionsUp(reference);
        return consumed.Parent switch
        {
            IAssignmentOperation assignment => assignment.Target == consumed,
            IArgumentOperation { Parameter.RefKind: RefKind.Out } => true,
            _ => false,
        };
    }

    /// <summary>
    /// The reads of <paramref name="local"/> in <paramref name="root"/> that follow <paramref name="after"/> in the
    /// source, up to the next write of the local (the value stored by <paramref name="after"/> is gone after it).
    /// References in a branch that excludes <paramref name="after"/>'s (the other branch of an <c>if</c> or <c>?:</c>,
    /// another section of a <c>switch</c>) are neither: <c>if (v4) rc = connect(fd, &amp;sa, n); else rc = connect(fd,
    /// &amp;sa6, m); if (rc &lt; 0) ...</c> tests both results, and the else branch's own test of its result is not a test
    /// of the first.
    /// </summary>
    public static List<ILocalReferenceOperation> GetReadsAfter(IOperation root, ILocalSymbol local, IOperation after)
        => GetReadsAfter(BodyReferences.Of(root).OfLocal(local), local, after);

    private static List<ILocalReferenceOperation> GetReadsAfter(IEnumerable<IOperation> operations, ILocalSymbol local, IOperation after)
    {
        var start = after.Syntax.Span.End;
        var references = new List<ILocalReferenceOperation>();
        var nextWrite = int.MaxValue;
        List<IOperation>? afterAncestors = null;
        foreach (var operation in operations)
        {
            if (operation is not ILocalReferenceOperation reference
                || !SymbolEqualityComparer.Default.Equals(reference.Local, local)
                || reference.Syntax.SpanStart < start
                || InExclusiveBranches(afterAncestors ??= AncestorsOf(after), reference))
            {
                continue;
            }

            if (IsWrite(reference))
            {
                if (reference.Syntax.SpanStart < nextWrite)
                {
                    nextWrite = reference.Syntax.SpanStart;
                }

                continue;
            }

            references.Add(reference);
        }

        references.RemoveAll(r => r.Syntax.SpanStart > nextWrite);
        references.Sort((a, b) => a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart));
        return references;
    }

    /// <summary><paramref name="operation"/> and the operations around it, innermost first.</summary>
    private static List<IOperation> AncestorsOf(IOperation operation)
    {
        var ancestors = new List<IOperation>();
        for (var current = operation; current is not null; current = current.Parent)
        {
            ancestors.Add(current);
        }

        return ancestors;
    }

    /// <summary>
    /// True when the operation whose <see cref="AncestorsOf"/> are <paramref name="firstAncestors"/> and
    /// <paramref name="second"/> lie in different branches of one conditional (<c>if</c>/<c>else</c>, <c>?:</c>) or in
    /// different sections of one <c>switch</c>: one pass through the code runs at most one of them.
    /// </summary>
    private static bool InExclusiveBranches(List<IOperation> firstAncestors, IOperation second)
    {
        // The first operation around 'second' that is also around the first one, and the child through which each of
        // the two is reached from it.
        IOperation? secondChild = null;
        for (var current = second; current is not null; secondChild = current, current = current.Parent)
        {
            var index = firstAncestors.IndexOf(current);
            if (index < 0)
            {
                continue;
            }

            if (index == 0 || secondChild is null)
            {
                return false; // one contains the other
            }

            var firstChild = firstAncestors[index - 1];
            return current switch
            {
                IConditionalOperation conditional => conditional.WhenFalse is { } whenFalse
                    && ((firstChild == conditional.WhenTrue && secondChild == whenFalse) || (firstChild == whenFalse && secondChild == conditional.WhenTrue)),
                ISwitchOperation => firstChild is ISwitchCaseOperation && secondChild is ISwitchCaseOperation && firstChild != secondChild,
                _ => false,
            };
        }

        return false;
    }

    /// <summary>The local, parameter or field <paramref name="operation"/> reads (through conversions), else <c>null</c>.</summary>
    public static ISymbol? GetReferencedSymbol(IOperation? operation)
        => SkipConversionsDown(operation) switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property,
            _ => null,
        };

    /// <summary>The symbol a reference operation names (local, parameter, field, property), else <c>null</c>.</summary>
    public static ISymbol? GetSymbolOfReference(IOperation operation)
        => operation switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property,
            _ => null,
        };
}

/// <summary>
/// The references (locals, parameters, fields, properties) of one method body, collected in one walk and shared by every
/// site of the body that asks (KS0002's <c>socket()</c> and <c>connect()</c>, KS0005's sends), with each local's
/// references at hand: a walk of the whole body per question per site made a method with hundreds of sites quadratic.
/// Kept for the body analyzed last on the thread (<see cref="BodyCache{T}"/>).
/// </summary>
internal sealed class BodyReferences
{
    private static readonly Func<IOperation, BodyReferences> Create = root => new BodyReferences(root);

    private readonly Dictionary<ILocalSymbol, List<ILocalReferenceOperation>> byLocal = new(SymbolEqualityComparer.Default);

    private BodyReferences(IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (ResultUsage.GetSymbolOfReference(operation) is null)
            {
                continue;
            }

            All.Add(operation);
            if (operation is ILocalReferenceOperation reference)
            {
                if (!byLocal.TryGetValue(reference.Local, out var list))
                {
                    byLocal[reference.Local] = list = new List<ILocalReferenceOperation>();
                }

                list.Add(reference);
            }
        }
    }

    /// <summary>Every reference of the body, in the order <c>Descendants()</c> yields them.</summary>
    public List<IOperation> All { get; } = new();

    public static BodyReferences Of(IOperation root) => BodyCache<BodyReferences>.Get(root, Create);

    /// <summary>The references to <paramref name="local"/>, in the order <c>Descendants()</c> yields them.</summary>
    public IReadOnlyList<ILocalReferenceOperation> OfLocal(ILocalSymbol local)
        => byLocal.TryGetValue(local, out var found) ? found : Array.Empty<ILocalReferenceOperation>();
}
