using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// A count that is a field of another object which the method filled from the very buffer the count is read out of:
/// a packet's header laid over the received bytes and its length trusted.
/// <code>
/// fixed (byte* dest = recvBuffer) { packet.Head = *(Head*)dest; }
/// Array.Copy(recvBuffer, Head.Length, packet.Data, 0, packet.Head.length);   // length comes from the network
/// </code>
/// The count is a chain of instance fields (<c>packet.Head.length</c>, <c>head.size</c>) on a local or parameter, not
/// <c>this</c> (a collection's or struct's own count is the type's invariant, and is not asked about). Some part of the chain (the local itself, <c>packet.Head</c>, or the field) is assigned,
/// before the copy, a value that reads the buffer: the buffer itself, or a local made over it (<c>fixed (byte* p = buffer)</c>,
/// <c>var span = buffer.AsSpan()</c>). A chain that the method compares anywhere (<c>&lt;</c>, <c>&gt;</c>,
/// <c>is &gt; 200</c>, a switch, <c>Math.Min</c>/<c>Max</c>/<c>Clamp</c>, a <c>ThrowIf...</c> helper), itself or through a
/// local that holds it (<c>int size = head.size; if (size &gt; 504) ...</c>), is taken as checked:
/// a linear form has no term for another object's field, so the guard analysis could not read such a check. Asked only
/// where a copy out of a buffer of fixed size has such a count; one walk of the method body then.
/// </summary>
internal static class LengthFromData
{
    /// <summary>The fields of <paramref name="count"/> from its root outwards (<c>Head</c>, <c>length</c>), and its root variable.</summary>
    public static bool TryGetChain(IOperation? count, out ISymbol root, out List<IFieldSymbol> fields)
    {
        root = null!;
        fields = null!;
        var operation = LinearForm.Strip(count);
        if (operation is not IFieldReferenceOperation)
        {
            return false;
        }

        fields = new List<IFieldSymbol>(2);
        while (operation is IFieldReferenceOperation { Field: { IsStatic: false, IsConst: false } field, Instance: { } instance })
        {
            fields.Insert(0, field);
            operation = LinearForm.Strip(instance);
        }

        if (RootVariable(operation) is not { } variable)
        {
            return false;
        }

        root = variable;
        return true;
    }

    /// <summary>The local or parameter <paramref name="operation"/> reads, or null.</summary>
    private static ISymbol? RootVariable(IOperation? operation) => LinearForm.Strip(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    /// <summary>
    /// True when, in the body around <paramref name="copy"/>, a part of the chain is assigned, before the copy, a value
    /// that reads <paramref name="source"/>, and nothing compares the whole chain.
    /// </summary>
    public static bool IsUncheckedFromSource(IOperation copy, ISymbol source, ISymbol root, List<IFieldSymbol> fields, CancellationToken cancellationToken)
    {
        var body = ResultUsage.GetRoot(copy);
        var copyStart = copy.Syntax.SpanStart;
        var overSource = new List<ISymbol>();
        var filled = new List<IOperation>();
        var uses = new List<IOperation>();
        var localReads = new List<ILocalReferenceOperation>();
        GuardAnalysis.Visit(body, operation =>
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when declarator.GetVariableInitializer()?.Value is { } initial:
                    if (SymbolEqualityComparer.Default.Equals(declarator.Symbol, root))
                    {
                        if (declarator.Syntax.SpanStart < copyStart)
                        {
                            filled.Add(initial);
                        }
                    }
                    else if (Reads(initial, source, null))
                    {
                        overSource.Add(declarator.Symbol);
                    }

                    break;
                case ISimpleAssignmentOperation assignment when assignment.Syntax.SpanStart < copyStart && Prefix(assignment.Target, root, fields) >= 0:
                    filled.Add(assignment.Value);
                    break;
                case IFieldReferenceOperation reference when Prefix(reference, root, fields) == fields.Count:
                    uses.Add(reference);
                    break;
                case ILocalReferenceOperation read:
                    localReads.Add(read);
                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref, Parent: IInvocationOperation call } argument
                    when argument.Syntax.SpanStart < copyStart && Prefix(argument.Value, root, fields) >= 0:
                    // TryParse(buffer, out head): the call fills the chain from its arguments.
                    filled.Add(call);
                    break;
            }
        });

        cancellationToken.ThrowIfCancellationRequested();
        var fromSource = false;
        foreach (var value in filled)
        {
            if (Reads(value, source, overSource))
            {
                fromSource = true;
                break;
            }
        }

        if (!fromSource)
        {
            return false;
        }

        // Compared itself, or through a local that holds it (int size = header.Size; if (size > 504) ...).
        List<ISymbol>? copies = null;
        foreach (var use in uses)
        {
            if (IsCompared(use))
            {
                return false;
            }

            if (LocalHolding(use) is { } holder)
            {
                (copies ??= new List<ISymbol>()).Add(holder);
            }
        }

        foreach (var read in localReads)
        {
            if (KnownSymbols.Contains(copies, read.Local) && IsCompared(read))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The local that <paramref name="use"/> is stored in whole (<c>int size = header.Size;</c>, <c>size = header.Size;</c>), or null.</summary>
    private static ISymbol? LocalHolding(IOperation use)
    {
        var current = use;
        while (current.Parent is IConversionOperation or IParenthesizedOperation)
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == current => local.Local,
            _ => null,
        };
    }

    /// <summary>
    /// How many fields of the chain <paramref name="operation"/> names from its root (0 for the root itself), or -1 when
    /// it is not a part of the chain.
    /// </summary>
    private static int Prefix(IOperation operation, ISymbol root, List<IFieldSymbol> fields)
    {
        var current = LinearForm.Strip(operation is IDeclarationExpressionOperation declaration ? declaration.Expression : operation);
        if (current is not IFieldReferenceOperation)
        {
            return SymbolEqualityComparer.Default.Equals(RootVariable(current), root) ? 0 : -1;
        }

        if (!TryGetChain(current, out var variable, out var path) || path.Count > fields.Count
            || !SymbolEqualityComparer.Default.Equals(variable, root))
        {
            return -1;
        }

        for (var i = 0; i < path.Count; i++)
        {
            if (!SymbolEqualityComparer.Default.Equals(path[i], fields[i]))
            {
                return -1;
            }
        }

        return path.Count;
    }

    /// <summary>True when <paramref name="value"/> reads <paramref name="source"/> or a local made over it.</summary>
    private static bool Reads(IOperation value, ISymbol source, List<ISymbol>? overSource)
    {
        foreach (var operation in value.DescendantsAndSelf())
        {
            var read = operation switch
            {
                ILocalReferenceOperation local => local.Local,
                _ => LinearForm.GetVariable(operation),
            };
            if (read is not null && (SymbolEqualityComparer.Default.Equals(read, source) || KnownSymbols.Contains(overSource, read)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="use"/> (or arithmetic on it) is an operand of a comparison, the value of a pattern or
    /// switch, or an argument of <c>Math.Min</c>/<c>Max</c>/<c>Clamp</c> or a <c>ThrowIf...</c> helper.
    /// </summary>
    private static bool IsCompared(IOperation use)
    {
        for (var current = use; current.Parent is { } parent; current = parent)
        {
            switch (parent)
            {
                case IConversionOperation or IParenthesizedOperation or IUnaryOperation:
                    continue;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                    or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual }:
                    return true;
                case IBinaryOperation:
                    continue;
                case IIsPatternOperation or ISwitchOperation or ISwitchExpressionOperation:
                    return true;
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod: var method } }:
                    return (method.Name is "Min" or "Max" or "Clamp" && method.ContainingType?.Name == "Math")
                        || method.Name.StartsWith("ThrowIf", System.StringComparison.Ordinal);
                default:
                    return false;
            }
        }

        return false;
    }
}
