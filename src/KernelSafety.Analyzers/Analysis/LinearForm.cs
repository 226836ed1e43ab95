using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>What a <see cref="LinearTerm"/> stands for.</summary>
internal enum LinearTermKind
{
    /// <summary>The value of a local, parameter or field.</summary>
    Value,

    /// <summary>The <c>Length</c> (or <c>LongLength</c>/<c>Count</c>) of the buffer held by a local, parameter or field.</summary>
    Length,
}

/// <summary>One unknown of a <see cref="LinearForm"/>: <c>len</c> or <c>msg.Length</c>.</summary>
internal readonly struct LinearTerm : IEquatable<LinearTerm>
{
    public LinearTerm(LinearTermKind kind, ISymbol symbol)
    {
        Kind = kind;
        Symbol = symbol;
    }

    public LinearTermKind Kind { get; }

    public ISymbol Symbol { get; }

    /// <summary>
    /// True when the term can never be negative (a length, or a value of an unsigned type), or is taken not to be: a
    /// private instance field of an integer type, a cursor or fill count the object keeps (<c>_used</c> in
    /// <c>Free =&gt; _store.Length - _used</c>), whose range is the object's invariant, as a private offset into its own
    /// buffer already is.
    /// </summary>
    public bool IsNonNegative
        => Kind == LinearTermKind.Length
           || IsUnsigned(GetType(Symbol))
           || Symbol is IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Private, IsConst: false, Type.SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64 };

    /// <summary>Whether values of <paramref name="type"/> are never negative: the unsigned integer types and <c>char</c>.</summary>
    public static bool IsUnsigned(ITypeSymbol? type)
        => type?.SpecialType is SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32
            or SpecialType.System_UInt64 or SpecialType.System_UIntPtr or SpecialType.System_Char;

    public bool Equals(LinearTerm other) => Kind == other.Kind && SymbolEqualityComparer.Default.Equals(Symbol, other.Symbol);

    public override bool Equals(object? obj) => obj is LinearTerm other && Equals(other);

    public override int GetHashCode() => ((int)Kind * 397) ^ SymbolEqualityComparer.Default.GetHashCode(Symbol);

    private static ITypeSymbol? GetType(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        IFieldSymbol field => field.Type,
        _ => null,
    };
}

/// <summary>
/// An integer expression written as <c>constant + Σ coefficient × term</c>, where a term is a variable or the
/// length of a buffer variable: <c>off + len - msg.Length</c>. Comparisons become facts <c>form ≤ 0</c> that
/// <see cref="GuardAnalysis"/> combines to prove bounds. Expressions with calls or other operators have no form.
/// Immutable.
/// </summary>
internal sealed class LinearForm
{
    private static readonly (LinearTerm Term, long Coefficient)[] NoTerms = Array.Empty<(LinearTerm, long)>();

    private readonly (LinearTerm Term, long Coefficient)[] terms;

    private LinearForm(long constant, (LinearTerm Term, long Coefficient)[] terms)
    {
        Constant = constant;
        this.terms = terms;
    }

    public long Constant { get; }

    public IReadOnlyList<(LinearTerm Term, long Coefficient)> Terms => terms;

    public bool IsConstant => terms.Length == 0;

    public static LinearForm Zero { get; } = new(0, NoTerms);

    public static LinearForm Of(long constant) => new(constant, NoTerms);

    public static LinearForm Of(LinearTerm term) => new(0, new[] { (term, 1L) });

    /// <summary>The form of <paramref name="operation"/>, or <c>null</c> when it is not a linear integer expression.</summary>
    public static LinearForm? From(IOperation? operation) => From(operation, readGetters: false, CancellationToken.None);

    /// <summary>
    /// <see cref="From(IOperation?)"/> for an operand of a guard, where a read of a property of the copying type whose
    /// getter returns a linear expression of its fields (or a call of such a parameterless method) stands for that
    /// expression (<see cref="PropertyGetters"/>): <c>count &gt; FreeSize</c> with <c>FreeSize =&gt; _buffer.Length - _writePos</c>,
    /// <c>count &gt; Room()</c> with <c>int Room() =&gt; store.Length - filled;</c>.
    /// </summary>
    public static LinearForm? FromGuardOperand(IOperation? operation, CancellationToken cancellationToken)
        => From(operation, readGetters: true, cancellationToken);

    private static LinearForm? From(IOperation? operation, bool readGetters, CancellationToken cancellationToken)
    {
        operation = Strip(operation);
        if (operation is null)
        {
            return null;
        }

        if (TryGetInteger(operation, out var constant))
        {
            return Of(constant);
        }

        switch (operation)
        {
            case IBinaryOperation { OperatorMethod: null } binary:
                var left = From(binary.LeftOperand, readGetters, cancellationToken);
                var right = left is null ? null : From(binary.RightOperand, readGetters, cancellationToken);
                if (left is null || right is null)
                {
                    return null;
                }

                return binary.OperatorKind switch
                {
                    BinaryOperatorKind.Add => left.Add(right),
                    BinaryOperatorKind.Subtract => left.Subtract(right),
                    BinaryOperatorKind.Multiply when right.IsConstant => left.Scale(right.Constant),
                    BinaryOperatorKind.Multiply when left.IsConstant => right.Scale(left.Constant),
                    _ => null,
                };
            case IUnaryOperation { OperatorMethod: null, OperatorKind: UnaryOperatorKind.Minus } minus:
                return From(minus.Operand, readGetters, cancellationToken)?.Scale(-1);
            case IUnaryOperation { OperatorMethod: null, OperatorKind: UnaryOperatorKind.Plus } plus:
                return From(plus.Operand, readGetters, cancellationToken);
        }

        var term = GetTerm(operation);
        if (term is { } t)
        {
            return Of(t);
        }

        // Asked only for a property that is not a buffer's length, or a call: most operands never get here.
        return readGetters && operation.Kind is OperationKind.PropertyReference or OperationKind.Invocation
            ? PropertyGetters.FormOf(operation, cancellationToken)
            : null;
    }

    /// <summary>The term <paramref name="operation"/> reads: a variable, or the length of a buffer variable.</summary>
    public static LinearTerm? GetTerm(IOperation? operation)
    {
        operation = Strip(operation);
        if (GetVariable(operation) is { } variable)
        {
            return new LinearTerm(LinearTermKind.Value, variable);
        }

        if (operation is IPropertyReferenceOperation { Property: { Name: "Length" or "LongLength" or "Count", Parameters.Length: 0 } } property
            && Strip(property.Instance) is var instance
            && (GetVariable(instance) ?? GetReadOnlyArrayProperty(instance)) is { } buffer)
        {
            return new LinearTerm(LinearTermKind.Length, buffer);
        }

        return null;
    }

    /// <summary>
    /// An array property of this object or a static one that has no setter and cannot be overridden
    /// (<c>public byte[] Memory { get; } = new byte[4096];</c>): its length is the same at a guard and at the copy after
    /// it, as a readonly field's is. Its size, if any, is <see cref="BufferSizes"/>' to find.
    /// </summary>
    private static IPropertySymbol? GetReadOnlyArrayProperty(IOperation? operation)
        => operation is IPropertyReferenceOperation
        {
            Instance: null or IInstanceReferenceOperation,
            Property: { SetMethod: null, IsVirtual: false, IsAbstract: false, IsOverride: false, Parameters.Length: 0, Type: IArrayTypeSymbol } property,
        }
            ? property
            : null;

    /// <summary>
    /// The local, parameter or field <paramref name="operation"/> reads (a field only on <c>this</c> or static),
    /// or <c>null</c>. Constants are not variables.
    /// </summary>
    public static ISymbol? GetVariable(IOperation? operation) => Strip(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Field.IsConst: false } field
            when field.Instance is null or IInstanceReferenceOperation => field.Field,
        _ => null,
    };

    /// <summary>Removes conversions (implicit and explicit, not user-defined, plus array-to-span) and parentheses.</summary>
    public static IOperation? Strip(IOperation? operation)
    {
        while (true)
        {
            // Most operands are neither: their kind answers before any interface cast.
            if (operation is null || operation.Kind is not (OperationKind.Conversion or OperationKind.Parenthesized))
            {
                return operation;
            }

            switch (operation)
            {
                case IConversionOperation { OperatorMethod: null } conversion:
                    operation = conversion.Operand;
                    continue;
                case IConversionOperation { OperatorMethod: { Name: "op_Implicit", ContainingType.Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" } } view
                    when view.Operand.Type is IArrayTypeSymbol:
                    // T[] -> Span<T>: the same buffer.
                    operation = view.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    /// <summary>True when <paramref name="operation"/> is a compile-time integer constant that fits a <c>long</c>.</summary>
    public static bool TryGetInteger(IOperation? operation, out long value)
    {
        value = 0;
        if (operation is null || !operation.ConstantValue.HasValue)
        {
            return false;
        }

        switch (operation.ConstantValue.Value)
        {
            case int i: value = i; return true;
            case long l: value = l; return true;
            case uint ui: value = ui; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            case short s: value = s; return true;
            case ushort us: value = us; return true;
            case byte b: value = b; return true;
            case sbyte sb: value = sb; return true;
            case char c: value = c; return true;
            default: return false;
        }
    }

    public LinearForm Add(LinearForm other) => Combine(other, 1);

    public LinearForm Subtract(LinearForm other) => Combine(other, -1);

    public LinearForm Add(long constant) => new(Constant + constant, terms);

    public LinearForm Scale(long factor)
    {
        if (factor == 0)
        {
            return Zero;
        }

        if (factor == 1)
        {
            return this;
        }

        var scaled = terms.Length == 0 ? NoTerms : new (LinearTerm, long)[terms.Length];
        for (var i = 0; i < scaled.Length; i++)
        {
            scaled[i] = (terms[i].Term, terms[i].Coefficient * factor);
        }

        return new LinearForm(Constant * factor, scaled);
    }

    /// <summary>True when the form mentions <paramref name="symbol"/> (as a value or a length).</summary>
    public bool Mentions(ISymbol symbol)
    {
        foreach (var (term, _) in terms)
        {
            if (SymbolEqualityComparer.Default.Equals(term.Symbol, symbol))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Replaces every length term whose length <paramref name="lengthOf"/> knows by that length (the form itself when it
    /// knows none, without allocating).
    /// </summary>
    public LinearForm SubstituteLengths(Func<ISymbol, LinearForm?> lengthOf)
    {
        LinearForm? result = null;
        for (var i = 0; i < terms.Length; i++)
        {
            var (term, coefficient) = terms[i];
            var replacement = term.Kind == LinearTermKind.Length
                ? lengthOf(term.Symbol)
                : term.Symbol is IFieldSymbol field ? BufferSizes.ConstantOf(field, CancellationToken.None) : null;
            if (replacement is null && result is null)
            {
                continue;
            }

            if (result is null)
            {
                // The first replaced term: the terms before it are kept as they are.
                result = Of(Constant);
                for (var j = 0; j < i; j++)
                {
                    result = result.Add(Of(terms[j].Term).Scale(terms[j].Coefficient));
                }
            }

            result = result.Add(replacement is null ? Of(term).Scale(coefficient) : replacement.Scale(coefficient));
        }

        return result ?? this;
    }

    /// <summary>
    /// True when the form is ≤ 0 whatever its terms are: the constant is ≤ 0 and every remaining term is a
    /// non-negative quantity that is subtracted.
    /// </summary>
    public bool IsTriviallyNonPositive()
    {
        if (Constant > 0)
        {
            return false;
        }

        foreach (var (term, coefficient) in terms)
        {
            if (coefficient > 0 || !term.IsNonNegative)
            {
                return false;
            }
        }

        return true;
    }

    private LinearForm Combine(LinearForm other, long sign)
    {
        var constant = Constant + (other.Constant * sign);
        var otherTerms = other.terms;
        if (otherTerms.Length == 0)
        {
            return new LinearForm(constant, terms);
        }

        if (terms.Length == 0 && sign == 1)
        {
            return new LinearForm(constant, otherTerms);
        }

        // Small forms (one or two terms, nearly always): arrays and loops, no lists or delegates.
        var combined = new (LinearTerm Term, long Coefficient)[terms.Length + otherTerms.Length];
        Array.Copy(terms, combined, terms.Length);
        var count = terms.Length;
        foreach (var (term, coefficient) in otherTerms)
        {
            var index = 0;
            while (index < count && !combined[index].Term.Equals(term))
            {
                index++;
            }

            if (index < count)
            {
                combined[index] = (term, combined[index].Coefficient + (coefficient * sign));
            }
            else
            {
                combined[count++] = (term, coefficient * sign);
            }
        }

        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            if (combined[i].Coefficient != 0)
            {
                combined[kept++] = combined[i];
            }
        }

        if (kept == 0)
        {
            return constant == 0 ? Zero : Of(constant);
        }

        if (kept != combined.Length)
        {
            Array.Resize(ref combined, kept);
        }

        return new LinearForm(constant, combined);
    }
}
