using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>How an expression wraps a byte array.</summary>
internal enum BufferViewWrapper
{
    /// <summary>The array itself (possibly through an implicit conversion to a span, memory or segment).</summary>
    None,

    /// <summary><c>buf.AsSpan(...)</c>, <c>new Span&lt;byte&gt;(buf, ...)</c>, <c>new ReadOnlySpan&lt;byte&gt;(buf, ...)</c>.</summary>
    Span,

    /// <summary><c>buf.AsMemory(...)</c>, <c>new Memory&lt;byte&gt;(buf, ...)</c>, <c>new ReadOnlyMemory&lt;byte&gt;(buf, ...)</c>.</summary>
    Memory,

    /// <summary><c>new ArraySegment&lt;byte&gt;(buf, ...)</c>.</summary>
    Segment,
}

/// <summary>
/// An expression that denotes (part of) a byte array held by a local, parameter or field:
/// <c>buf</c>, <c>buf.AsSpan()</c>, <c>buf.AsSpan(0, n)</c>, <c>buf.AsMemory(start)</c>,
/// <c>new ArraySegment&lt;byte&gt;(buf, 0, n)</c>, <c>new Span&lt;byte&gt;(buf)</c>.
/// </summary>
internal readonly struct BufferView
{
    public BufferView(ISymbol symbol, IOperation reference, IOperation? start, IOperation? length, BufferViewWrapper wrapper)
    {
        Symbol = symbol;
        Reference = reference;
        Start = start;
        Length = length;
        Wrapper = wrapper;
    }

    /// <summary>The local, parameter or field that holds the array.</summary>
    public ISymbol Symbol { get; }

    /// <summary>The reference to <see cref="Symbol"/> inside the expression.</summary>
    public IOperation Reference { get; }

    /// <summary>The start index of the view; <c>null</c> when it starts at 0 implicitly.</summary>
    public IOperation? Start { get; }

    /// <summary>The length of the view; <c>null</c> when it runs to the end of the array.</summary>
    public IOperation? Length { get; }

    public BufferViewWrapper Wrapper { get; }

    /// <summary>True when the view starts at index 0 (implicitly or with a constant 0).</summary>
    public bool StartsAtZero => Start is null || BufferViews.IsConstantZero(Start);
}

/// <summary>
/// Recognises the usual ways C# code hands a byte array (or a window of it) to an API, so rules can
/// track the array by its symbol whatever wrapper the call site uses.
/// </summary>
internal static class BufferViews
{
    /// <summary>
    /// Unwraps <paramref name="operation"/> to the byte array it views. Returns false for anything that is
    /// not a (view of a) byte[] local, parameter or field: a span local, a method result, a pointer.
    /// </summary>
    public static bool TryGetView(IOperation? operation, KnownSymbols symbols, out BufferView view)
    {
        view = default;
        var current = Unwrap(operation);
        IOperation? start = null;
        IOperation? length = null;
        var wrapper = BufferViewWrapper.None;

        switch (current)
        {
            // buf.AsSpan(...), buf.AsMemory(...)
            case IInvocationOperation invocation
                when invocation.TargetMethod.Name is "AsSpan" or "AsMemory"
                     && KnownSymbols.Is(invocation.TargetMethod.ContainingType, symbols.MemoryExtensions)
                     && invocation.Arguments.Length >= 1:
                if (!TryGetStartAndLength(invocation.Arguments, 1, out start, out length))
                {
                    return false;
                }

                wrapper = invocation.TargetMethod.Name == "AsSpan" ? BufferViewWrapper.Span : BufferViewWrapper.Memory;
                current = Unwrap(FindArgument(invocation.Arguments, 0));
                break;

            // new Span<byte>(buf, ...), new ArraySegment<byte>(buf, ...)
            case IObjectCreationOperation creation
                when creation.Constructor is { } ctor && ctor.Parameters.Length >= 1 && ctor.Parameters[0].Type is IArrayTypeSymbol:
                var type = creation.Type;
                if (KnownSymbols.Is(type, symbols.Span) || KnownSymbols.Is(type, symbols.ReadOnlySpan))
                {
                    wrapper = BufferViewWrapper.Span;
                }
                else if (KnownSymbols.Is(type, symbols.Memory) || KnownSymbols.Is(type, symbols.ReadOnlyMemory))
                {
                    wrapper = BufferViewWrapper.Memory;
                }
                else if (type is INamedTypeSymbol { Name: "ArraySegment", Arity: 1 } segment
                         && segment.ContainingNamespace?.ToDisplayString() == "System")
                {
                    wrapper = BufferViewWrapper.Segment;
                }
                else
                {
                    return false;
                }

                if (!TryGetStartAndLength(creation.Arguments, 1, out start, out length))
                {
                    return false;
                }

                current = Unwrap(FindArgument(creation.Arguments, 0));
                break;
        }

        if (current is null || !IsByteArray(current.Type))
        {
            return false;
        }

        var symbol = GetTrackableSymbol(current);
        if (symbol is null)
        {
            return false;
        }

        view = new BufferView(symbol, current, start, length, wrapper);
        return true;
    }

    /// <summary>
    /// For a pointer local declared by <c>fixed (byte* p = buf)</c> or <c>fixed (byte* p = &amp;buf[0])</c>, the view of
    /// <c>buf</c> it pins (starting at 0, whole array); false for anything else.
    /// </summary>
    public static bool TryGetPinnedView(IOperation? operation, KnownSymbols symbols, out BufferView view)
    {
        view = default;
        if (Unwrap(operation) is not ILocalReferenceOperation { Local: { Type: IPointerTypeSymbol } pointer })
        {
            return false;
        }

        // IFixedOperation is internal in Roslyn 4.8: find the declarator through the syntax.
        var model = operation!.SemanticModel;
        foreach (var reference in pointer.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FixedStatementSyntax } } syntax
                && syntax.SyntaxTree == operation.Syntax.SyntaxTree
                && model?.GetOperation(syntax) is IVariableDeclaratorOperation declarator)
            {
                return TryGetView(GetPinnedArray(declarator.Initializer?.Value), symbols, out view)
                       && view.Wrapper == BufferViewWrapper.None;
            }
        }

        return false;
    }

    /// <summary>The array a fixed initializer pins: <c>buf</c> or <c>&amp;buf[0]</c>.</summary>
    public static IOperation? GetPinnedArray(IOperation? initializer)
    {
        var value = initializer;
        while (true)
        {
            if (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }
            else if (value is { Kind: OperationKind.None } wrapper && wrapper.ChildOperations.Count == 1)
            {
                // The fixed initializer of an array is not exposed as a public operation kind.
                foreach (var child in wrapper.ChildOperations)
                {
                    value = child;
                }
            }
            else
            {
                break;
            }
        }

        if (value is IAddressOfOperation { Reference: IArrayElementReferenceOperation { Indices.Length: 1 } element }
            && IsConstantZero(element.Indices[0]))
        {
            return element.ArrayReference;
        }

        return value;
    }

    /// <summary>
    /// The local, parameter or field under views of it, any element type: conversions, <c>AsSpan</c>/<c>AsMemory</c>,
    /// <c>Slice</c> (as instance or extension calls), <c>Memory.Span</c>, and <c>Span</c>/<c>Memory</c>/<c>ArraySegment</c>
    /// constructors (<c>header.Slice(2, 2)</c> gives <c>header</c>); null for anything else.
    /// </summary>
    public static ISymbol? GetViewedSymbol(IOperation? operation)
    {
        for (var depth = 0; depth < 8 && operation is not null; depth++)
        {
            switch (ResultUsage.SkipConversionsDown(operation))
            {
                case ILocalReferenceOperation local:
                    return local.Local;
                case IParameterReferenceOperation parameter:
                    return parameter.Parameter;
                case IFieldReferenceOperation field:
                    return field.Field;
                case IInvocationOperation { TargetMethod.Name: "AsSpan" or "AsMemory" or "Slice" } view:
                    operation = view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null);
                    continue;
                case IPropertyReferenceOperation { Property.Name: "Span" } span:
                    operation = span.Instance;
                    continue;
                case IObjectCreationOperation { Type.Name: "Span" or "Memory" or "ArraySegment", Arguments.Length: > 0 } creation:
                    operation = creation.Arguments[0].Value;
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The local, by-value parameter or field <paramref name="operation"/> reads, else <c>null</c>.</summary>
    public static ISymbol? GetTrackableSymbol(IOperation? operation)
        => operation switch
        {
            ILocalReferenceOperation { Local: { IsRef: false } local } => local,
            IParameterReferenceOperation { Parameter: { RefKind: RefKind.None or RefKind.In } parameter } => parameter,
            IFieldReferenceOperation { Field: { } field, Instance: null or IInstanceReferenceOperation } => field,
            _ => null,
        };

    /// <summary>Strips implicit conversions and parentheses.</summary>
    public static IOperation? Unwrap(IOperation? operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation { IsImplicit: true } conversion:
                    operation = conversion.Operand;
                    continue;
                case IConversionOperation conversion when conversion.Syntax == conversion.Operand.Syntax:
                    operation = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    public static bool IsByteArray(ITypeSymbol? type)
        => type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte };

    public static bool IsConstantZero(IOperation? operation)
        => operation is not null && operation.ConstantValue.HasValue && operation.ConstantValue.Value is int or long or uint or ulong or nint or nuint
           && System.Convert.ToInt64(operation.ConstantValue.Value, System.Globalization.CultureInfo.InvariantCulture) == 0;

    /// <summary>The argument bound to the parameter at <paramref name="ordinal"/> (named arguments included).</summary>
    public static IOperation? FindArgument(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, int ordinal)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>The argument bound to the parameter named <paramref name="name"/>.</summary>
    public static IArgumentOperation? FindArgument(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, string name)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.Name == name)
            {
                return argument;
            }
        }

        return null;
    }

    private static bool TryGetStartAndLength(
        System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments,
        int firstOrdinal,
        out IOperation? start,
        out IOperation? length)
    {
        start = null;
        length = null;
        foreach (var argument in arguments)
        {
            if (argument.Parameter is not { } parameter || parameter.Ordinal < firstOrdinal)
            {
                continue;
            }

            // Index/Range overloads (AsSpan(Index), AsSpan(Range)) are not plain windows.
            if (parameter.Type.SpecialType != SpecialType.System_Int32)
            {
                return false;
            }

            if (parameter.Ordinal == firstOrdinal)
            {
                start = argument.Value;
            }
            else if (parameter.Ordinal == firstOrdinal + 1)
            {
                length = argument.Value;
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
