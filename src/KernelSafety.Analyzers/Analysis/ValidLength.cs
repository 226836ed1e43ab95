using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>What told the method how many bytes of a buffer are valid.</summary>
internal enum ValidLengthSource
{
    /// <summary>A copy of n elements into the buffer (<c>Buffer.BlockCopy</c>, <c>Array.Copy</c>, <c>Marshal.Copy</c>, <c>CopyTo</c>, <c>Stream.ReadExactly</c>).</summary>
    Copy,

    /// <summary>A read or receive that returned n (<c>Stream.Read</c>/<c>ReadAsync</c>, <c>Socket.Receive</c>, P/Invoke'd <c>read</c>/<c>recv</c>).</summary>
    Read,

    /// <summary><c>Encoding.GetBytes(..., buf, 0)</c> that returned n.</summary>
    Encode,

    /// <summary><c>ArrayPool&lt;byte&gt;.Rent(n)</c>: the array can be longer than n.</summary>
    Rent,
}

/// <summary>How the valid length is expressed.</summary>
internal enum ValidLengthShape
{
    /// <summary>A compile-time constant.</summary>
    Constant,

    /// <summary>A local or parameter (<c>n</c>, <c>len</c>).</summary>
    Symbol,

    /// <summary>The length of a local, parameter or field (<c>data.Length</c>).</summary>
    LengthOf,

    /// <summary>
    /// A side-effect-free computation over constants, locals, parameters, fields and their lengths:
    /// <c>Math.Min(len, msg.Length)</c>, <c>header.Length + count</c>.
    /// </summary>
    Expression,
}

/// <summary>
/// "The first <see cref="Text"/> bytes of <see cref="Buffer"/> are the valid data here": the fact a method
/// establishes when it fills a buffer with a known number of bytes.
/// </summary>
internal sealed class ValidLengthFact
{
    public ValidLengthFact(ISymbol buffer, ValidLengthSource source, IOperation producer, ValidLengthShape shape, string text, ISymbol? symbol, long? constant, ITypeSymbol? type, ImmutableArray<ISymbol> dependencies = default, IOperation? expression = null)
    {
        this.expression = expression;
        Dependencies = dependencies.IsDefault
            ? (symbol is null ? ImmutableArray<ISymbol>.Empty : ImmutableArray.Create(symbol))
            : dependencies;
        Buffer = buffer;
        Source = source;
        Producer = producer;
        Shape = shape;
        Text = text;
        Symbol = symbol;
        Constant = constant;
        Type = type;
    }

    /// <summary>The buffer (local, parameter or field).</summary>
    public ISymbol Buffer { get; }

    public ValidLengthSource Source { get; }

    /// <summary>The operation that filled the buffer (the copy, read or Rent invocation).</summary>
    public IOperation Producer { get; }

    public ValidLengthShape Shape { get; }

    /// <summary>The valid length as C# source valid wherever the fact holds: <c>len</c>, <c>n</c>, <c>data.Length</c>, <c>16</c>.</summary>
    public string Text { get; }

    /// <summary>The local or parameter the length is (<see cref="ValidLengthShape.Symbol"/>) or is the length of (<see cref="ValidLengthShape.LengthOf"/>).</summary>
    public ISymbol? Symbol { get; }

    /// <summary>The locals, parameters and fields the valid length reads: writing any of them invalidates the fact.</summary>
    public ImmutableArray<ISymbol> Dependencies { get; }

    /// <summary>The value when <see cref="Shape"/> is <see cref="ValidLengthShape.Constant"/>.</summary>
    public long? Constant { get; }

    /// <summary>The type of the valid-length expression (int, nint, long...).</summary>
    public ITypeSymbol? Type { get; }

    // The computation when Shape is Expression (what ToLinearForm reads).
    private readonly IOperation? expression;

    /// <summary>
    /// True when the valid length does not vary from call to call: a constant, or a computation over readonly
    /// fields only (<c>HeaderSize</c>, <c>Math.Min(Limit, Frame.Length)</c> with readonly fields). Its value is
    /// unknown to the analysis unless <see cref="Constant"/> is set, so it cannot be compared with a constant.
    /// </summary>
    public bool IsInvariant
    {
        get
        {
            foreach (var dependency in Dependencies)
            {
                if (dependency is not IFieldSymbol { IsReadOnly: true } and not IFieldSymbol { IsConst: true })
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// The valid length as a <see cref="LinearForm"/> over the same variables, for <see cref="GuardAnalysis"/> to compare with
    /// what holds at a site; null when it is not linear (<c>Math.Min(len, msg.Length)</c>).
    /// </summary>
    public LinearForm? ToLinearForm() => Shape switch
    {
        ValidLengthShape.Constant when Constant is { } value => LinearForm.Of(value),
        ValidLengthShape.Symbol when Symbol is not null => LinearForm.Of(new LinearTerm(LinearTermKind.Value, Symbol)),
        ValidLengthShape.LengthOf when Symbol is not null => LinearForm.Of(new LinearTerm(LinearTermKind.Length, Symbol)),
        ValidLengthShape.Expression => LinearForm.From(expression),
        _ => null,
    };

    /// <summary>True when <paramref name="operation"/> denotes the same length (same symbol, same constant, same symbol's Length).</summary>
    public bool IsSameAs(IOperation? operation)
    {
        operation = ValidLength.StripCasts(operation);
        if (operation is null)
        {
            return false;
        }

        switch (Shape)
        {
            case ValidLengthShape.Constant:
                return ValidLength.TryGetInteger(operation, out var value) && value == Constant;
            case ValidLengthShape.Symbol:
                return SymbolEqualityComparer.Default.Equals(BufferViews.GetTrackableSymbol(operation), Symbol);
            case ValidLengthShape.LengthOf:
                return operation is IPropertyReferenceOperation { Property.Name: "Length" or "LongLength" } length
                       && SymbolEqualityComparer.Default.Equals(BufferViews.GetTrackableSymbol(BufferViews.Unwrap(length.Instance)), Symbol);
            case ValidLengthShape.Expression:
                return WithoutWhitespace(operation.Syntax.ToString()) == WithoutWhitespace(Text);
            default:
                return false;
        }
    }

    private static string WithoutWhitespace(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

/// <summary>
/// The valid length of a byte buffer at a point of a method: what a send, write or decode at that point
/// should use instead of a constant or the whole array.
/// <para>
/// The buffer is tracked by its symbol (local, parameter or field) within the method body, in source order.
/// A fact holds at a point when the last thing the method did to the buffer before it was a recognised fill
/// (a copy of n elements to index 0, a read/receive/GetBytes to index 0 whose result n was stored in a local,
/// or <c>ArrayPool.Rent(n)</c>), that fill runs on every path to the point (same block or an enclosing one,
/// not in a branch or a lambda), and neither n nor the buffer was written in between. Any other use of the
/// buffer that might write it (passed to an unknown method, element store, aliasing) makes the length unknown.
/// Zeroing the buffer anywhere in the method (<c>Array.Clear</c>, <c>Span.Clear</c>, <c>Fill</c>) means a
/// fixed-size record is intended, so no fact is reported at all.
/// </para>
/// </summary>
internal static class ValidLength
{
    private enum UseKind
    {
        /// <summary>Reads the buffer or its length only.</summary>
        Neutral,

        /// <summary>A recognised fill with a known length.</summary>
        Fill,

        /// <summary>Zeroes or fills the buffer with a value: a fixed-size record is intended.</summary>
        Clear,

        /// <summary>The buffer is (re)allocated with <c>new byte[size]</c>.</summary>
        Allocate,

        /// <summary>Anything that may change the buffer's contents or identity in an unknown way.</summary>
        Unknown,
    }

    private readonly struct Use
    {
        public Use(UseKind kind, IOperation operation, ValidLengthFact? fact = null, IOperation? size = null)
        {
            Kind = kind;
            Operation = operation;
            Fact = fact;
            Size = size;
        }

        public UseKind Kind { get; }

        public IOperation Operation { get; }

        public ValidLengthFact? Fact { get; }

        public IOperation? Size { get; }

        public int Position => Operation.Syntax.SpanStart;
    }

    /// <summary>
    /// The valid length of <paramref name="buffer"/> just before <paramref name="site"/> (a send, write or
    /// decode of it), or false when the method does not say (or says the whole buffer is meant).
    /// References inside <paramref name="site"/> itself are ignored.
    /// </summary>
    /// <param name="usedConstant">
    /// The length the site uses: a constant count, or null for the whole buffer (<c>buf.Length</c>). When the
    /// method compares the valid length with it before the site (<c>if (n != buf.Length) throw ...</c>,
    /// <c>Debug.Assert(len == 80)</c>), the two are taken to agree and no fact is reported.
    /// </param>
    /// <summary>
    /// KS0004's finding: a send at <paramref name="site"/> of <paramref name="count"/> elements of <paramref name="buffer"/>
    /// (a constant, the buffer's own length, or <c>null</c> for the whole buffer) while fewer are known to be valid.
    /// A constant count is not a finding when the valid length is a constant at least as large, or when a condition on
    /// every path to the site proves the valid length at least the count (<see cref="GuardAnalysis"/>).
    /// Shared with the KS0005 fix, which rewrites such a send into a loop and must send the valid length too.
    /// </summary>
    public static bool TryGetShorterValidLength(IOperation site, ISymbol buffer, IOperation? count, KnownSymbols symbols, CancellationToken cancellationToken, out ValidLengthFact? fact)
    {
        fact = null;
        long? constantCount = null;
        if (count is not null)
        {
            // Casts do not change what is sent: (nuint)buf.Length is still the whole buffer.
            var unwrapped = StripCasts(count);
            if (TryGetInteger(unwrapped, out var constant))
            {
                constantCount = constant;
            }
            else if (!IsLengthOf(unwrapped, buffer))
            {
                return false;
            }
        }

        if (!TryGetAt(site, buffer, symbols, constantCount, cancellationToken, out fact) || fact is null)
        {
            return false;
        }

        if (fact.Constant is { } validConstant
            ? constantCount is null || validConstant >= constantCount.Value
            : fact.IsInvariant)
        {
            // A constant valid length against the whole buffer: the buffer may be exactly that long. A length
            // made of readonly fields (HeaderSize) has a value the analysis cannot compare with the count.
            fact = null;
            return false;
        }

        // A condition on every path to the site keeps the valid length at least the constant count
        // ('if (read < 0x40) return null;' before decoding 8 bytes): every byte sent is valid. Only over locals and
        // parameters: path facts survive a field's assignment, and any call may assign a field.
        if (constantCount is { } sent && fact.Constant is null && fact.ToLinearForm() is { } valid && ReadsLocalsOnly(valid)
            && GuardAnalysis.IsBounded(LinearForm.Of(sent), site, valid, NoKnownLengths, cancellationToken))
        {
            fact = null;
            return false;
        }

        return true;
    }

    // Lengths in a guard are compared as they are written (read < header.Length is not read < 2048).
    private static readonly Func<ISymbol, LinearForm?> NoKnownLengths = static _ => null;

    private static bool ReadsLocalsOnly(LinearForm form)
    {
        foreach (var (term, _) in form.Terms)
        {
            if (term.Symbol is not (ILocalSymbol or IParameterSymbol))
            {
                return false;
            }
        }

        return true;
    }

    public static bool TryGetAt(IOperation site, ISymbol buffer, KnownSymbols symbols, long? usedConstant, CancellationToken cancellationToken, out ValidLengthFact? fact)
    {
        fact = null;
        var root = ResultUsage.GetRoot(site);
        var siteFunction = GetFunction(site);
        var siteSpan = site.Syntax.Span;

        var uses = new List<Use>();
        foreach (var operation in root.DescendantsAndSelf())
        {
            cancellationToken.ThrowIfCancellationRequested();
            Use use;
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, buffer))
            {
                use = ClassifyStore(declarator, declarator.Initializer?.Value, buffer, symbols, isDeclaration: true);
            }
            else if (IsReferenceTo(operation, buffer))
            {
                // The buffer as the site itself passes it is not a use before or after the site. Asked only of the
                // buffer's references: a node's span costs a walk to its first token, and most operations are not one.
                if (operation != site && siteSpan.Contains(operation.Syntax.Span))
                {
                    continue;
                }

                use = Classify(operation, buffer, symbols);
            }
            else
            {
                continue;
            }

            if (use.Kind == UseKind.Neutral)
            {
                continue;
            }

            // Zeroing anywhere: a fixed-size record is intended.
            if (use.Kind == UseKind.Clear)
            {
                return false;
            }

            // Anything done in another lambda or local function may run at any time; only the allocation
            // of a captured buffer by an enclosing function is harmless (it happened before the lambda ran).
            var function = GetFunction(use.Operation);
            if (!Equals(function, siteFunction))
            {
                if (use.Kind == UseKind.Allocate && (function is null || function.Syntax.Span.Contains(siteSpan)))
                {
                    continue;
                }

                return false;
            }

            uses.Add(use);
        }

        // The last thing done to the buffer before the site.
        Use? last = null;
        foreach (var use in uses)
        {
            if (use.Position < siteSpan.Start && (last is null || use.Position > last.Value.Position))
            {
                last = use;
            }
        }

        if (last is not { Kind: UseKind.Fill, Fact: { } candidate })
        {
            return false;
        }

        var producer = candidate.Producer;
        if (!Dominates(producer, site))
        {
            return false;
        }

        // Loops around the site that do not contain the fill: their whole body runs between two sends.
        var loopSpans = GetLoopSpansBetween(site, producer);
        foreach (var use in uses)
        {
            if (use.Position > siteSpan.Start && IsInAny(use.Operation, loopSpans))
            {
                return false;
            }
        }

        // new byte[n] filled with n bytes: the buffer is exactly the valid data. A copy or encode into a fresh
        // array sized by a computation (new byte[Encoding.UTF8.GetByteCount(s)], new byte[size]) may fill it
        // exactly too: only a read is known to come up short. A constant-size array (new byte[80]) is a fixed
        // size: sending all of it is what this rule reports unless the method zeroes it explicitly.
        Use? allocation = null;
        foreach (var use in uses)
        {
            if (use.Kind == UseKind.Allocate && use.Position < producer.Syntax.SpanStart
                && (allocation is null || use.Position > allocation.Value.Position))
            {
                allocation = use;
            }
        }

        if (allocation is { } allocated
            && (candidate.IsSameAs(allocated.Size)
                || (candidate.Source is ValidLengthSource.Copy or ValidLengthSource.Encode
                    && !TryGetInteger(StripCasts(allocated.Size), out _)
                    && !IsEncodingUpperBound(allocated.Size, symbols, cancellationToken)
                    && IsFresh(allocated, producer, uses))))
        {
            return false;
        }

        // The valid length must still mean the same thing at the site.
        if (candidate.Shape == ValidLengthShape.LengthOf && SymbolEqualityComparer.Default.Equals(candidate.Symbol, buffer))
        {
            return false;
        }

        foreach (var dependency in candidate.Dependencies)
        {
            foreach (var operation in root.Descendants())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!IsReferenceTo(operation, dependency) || !IsWritten(operation))
                {
                    continue;
                }

                var position = operation.Syntax.SpanStart;
                if (!Equals(GetFunction(operation), siteFunction)
                    || (position > producer.Syntax.Span.End && position < siteSpan.Start)
                    || (position > siteSpan.Start && IsInAny(operation, loopSpans)))
                {
                    return false;
                }
            }

            if (dependency is ILocalSymbol local && !IsInScope(site, local))
            {
                return false;
            }
        }

        // 'if (n != 4) throw' against 'new byte[4]' sent whole: the constant is the whole buffer's length.
        long? allocatedLength = allocation is { } sized && TryGetInteger(StripCasts(sized.Size), out var size) ? size : null;
        if (IsComparedBefore(root, candidate, site, siteFunction, buffer, usedConstant, cancellationToken)
            || (usedConstant is null && allocatedLength is not null
                && IsComparedBefore(root, candidate, site, siteFunction, buffer, allocatedLength, cancellationToken)))
        {
            return false;
        }

        fact = candidate;
        return true;
    }

    /// <summary>
    /// <c>new byte[Encoding.UTF8.GetMaxByteCount(s.Length)]</c>: a size made to be at least what any text of that length
    /// encodes to, so an encode into it almost always leaves bytes past its result (zeros, sent as data). Also with a
    /// constant added (<c>GetMaxByteCount(n) + 2</c>, room for a header) and through a local that holds it.
    /// </summary>
    private static bool IsEncodingUpperBound(IOperation? size, KnownSymbols symbols, CancellationToken cancellationToken, int depth = 0)
        => StripCasts(size) switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum when depth < 3
                => TryGetInteger(StripCasts(sum.RightOperand), out _) ? IsEncodingUpperBound(sum.LeftOperand, symbols, cancellationToken, depth + 1)
                    : TryGetInteger(StripCasts(sum.LeftOperand), out _) && IsEncodingUpperBound(sum.RightOperand, symbols, cancellationToken, depth + 1),
            ILocalReferenceOperation local when depth < 3
                => BufferSizes.TryGetDefinition(local.Local, local, cancellationToken, out var definition)
                    && IsEncodingUpperBound(definition, symbols, cancellationToken, depth + 1),
            IInvocationOperation { TargetMethod: { Name: "GetMaxByteCount" or "GetMaxCharCount" } method }
                => KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.Encoding),
            _ => false,
        };

    /// <summary>True when <paramref name="operation"/> is an integer constant; its value in <paramref name="value"/>.</summary>
    public static bool TryGetInteger(IOperation? operation, out long value)
    {
        value = 0;
        if (operation is null || !operation.ConstantValue.HasValue)
        {
            return false;
        }

        switch (operation.ConstantValue.Value)
        {
            case int i:
                value = i;
                return true;
            case long l:
                value = l;
                return true;
            case uint u:
                value = u;
                return true;
            case ulong ul when ul <= long.MaxValue:
                value = (long)ul;
                return true;
            case short s:
                value = s;
                return true;
            case ushort us:
                value = us;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Makes a fact from an expression used as a length, when the expression is stable enough to be
    /// repeated elsewhere in the method: a constant, a local or parameter, or the Length of one.
    /// </summary>
    public static ValidLengthFact? CreateFact(ISymbol buffer, ValidLengthSource source, IOperation producer, IOperation? length)
    {
        var value = StripCasts(length);
        if (value is null)
        {
            return null;
        }

        if (TryGetInteger(value, out var constant))
        {
            return new ValidLengthFact(buffer, source, producer, ValidLengthShape.Constant, value.Syntax.ToString(), null, constant, value.Type);
        }

        switch (value)
        {
            case ILocalReferenceOperation or IParameterReferenceOperation when BufferViews.GetTrackableSymbol(value) is { } symbol:
                return new ValidLengthFact(buffer, source, producer, ValidLengthShape.Symbol, value.Syntax.ToString(), symbol, null, value.Type);
            case IPropertyReferenceOperation { Property.Name: "Length", Instance: { } instance } property
                when BufferViews.Unwrap(instance) is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation
                     && BufferViews.GetTrackableSymbol(BufferViews.Unwrap(instance)) is { } owner:
                return new ValidLengthFact(buffer, source, producer, ValidLengthShape.LengthOf, property.Syntax.ToString(), owner, null, property.Type);
        }

        var dependencies = ImmutableArray.CreateBuilder<ISymbol>();
        return IsPure(value, dependencies, depth: 0)
            ? new ValidLengthFact(buffer, source, producer, ValidLengthShape.Expression, value.Syntax.ToString(), null, null, value.Type, dependencies.ToImmutable(), value)
            : null;
    }

    /// <summary>
    /// True when <paramref name="operation"/> computes a length without side effects from constants, locals,
    /// parameters, fields, their lengths, <c>Math.Min</c>/<c>Max</c>/<c>Clamp</c> and arithmetic; the symbols it
    /// reads are added to <paramref name="dependencies"/>.
    /// </summary>
    private static bool IsPure(IOperation? operation, ImmutableArray<ISymbol>.Builder dependencies, int depth)
    {
        operation = StripCasts(operation);
        if (operation is null || depth > 8)
        {
            return false;
        }

        if (operation.ConstantValue.HasValue)
        {
            return true;
        }

        switch (operation)
        {
            case ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation:
                var symbol = BufferViews.GetTrackableSymbol(operation);
                if (symbol is null)
                {
                    return false;
                }

                if (!dependencies.Contains(symbol))
                {
                    dependencies.Add(symbol);
                }

                return true;
            case IPropertyReferenceOperation { Property.Name: "Length" or "LongLength" or "Count", Instance: { } instance, Arguments.Length: 0 }:
                return IsPure(instance, dependencies, depth + 1);
            case IInvocationOperation { TargetMethod: { Name: "Min" or "Max" or "Clamp", ContainingType.SpecialType: SpecialType.None } method } invocation
                when method.ContainingType.Name == "Math" && method.ContainingType.ContainingNamespace?.Name == "System":
                foreach (var argument in invocation.Arguments)
                {
                    if (!IsPure(argument.Value, dependencies, depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or BinaryOperatorKind.Divide, OperatorMethod: null } binary:
                return IsPure(binary.LeftOperand, dependencies, depth + 1) && IsPure(binary.RightOperand, dependencies, depth + 1);
            default:
                return false;
        }
    }

    private static ValidLengthFact? CreateSymbolFact(ISymbol buffer, ValidLengthSource source, IOperation producer, ISymbol symbol)
    {
        var type = symbol switch
        {
            ILocalSymbol local => local.Type,
            IParameterSymbol parameter => parameter.Type,
            _ => null,
        };
        var name = Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(symbol.Name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
            ? symbol.Name
            : "@" + symbol.Name;
        return type is null ? null : new ValidLengthFact(buffer, source, producer, ValidLengthShape.Symbol, name, symbol, null, type);
    }

    private static ValidLengthFact? CreateLengthOfFact(ISymbol buffer, ValidLengthSource source, IOperation producer, IOperation? owner)
    {
        owner = BufferViews.Unwrap(owner);
        if (owner is not (ILocalReferenceOperation or IParameterReferenceOperation) || BufferViews.GetTrackableSymbol(owner) is not { } symbol)
        {
            return null;
        }

        var type = owner.Type;
        if (type is not IArrayTypeSymbol && type?.Name is not ("Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory"))
        {
            return null;
        }

        var int32 = producer.SemanticModel?.Compilation.GetSpecialType(SpecialType.System_Int32);
        return new ValidLengthFact(buffer, source, producer, ValidLengthShape.LengthOf, owner.Syntax.ToString() + ".Length", symbol, null, int32);
    }

    // ------------------------------------------------------------------------------------------
    // Classifying one use of the buffer.

    private static Use Classify(IOperation reference, ISymbol buffer, KnownSymbols symbols)
    {
        // fixed (byte* p = buf) whose pointer is only handed to native sends: a read.
        if (IsPinnedForSendsOnly(reference, symbols))
        {
            return new Use(UseKind.Neutral, reference);
        }

        // Climb through the views of the buffer: conversions, AsSpan/AsMemory, span/segment constructors, Slice.
        var current = reference;
        while (true)
        {
            var parent = current.Parent;
            if (parent is IConversionOperation { IsImplicit: true } or IParenthesizedOperation)
            {
                current = parent;
                continue;
            }

            if (parent is IArgumentOperation { Parameter.Ordinal: 0 } viewArgument
                && viewArgument.Parent is IInvocationOperation { TargetMethod.Name: "AsSpan" or "AsMemory" } asView
                && KnownSymbols.Is(asView.TargetMethod.ContainingType, symbols.MemoryExtensions))
            {
                current = asView;
                continue;
            }

            if (parent is IArgumentOperation { Parameter.Ordinal: 0 } ctorArgument
                && ctorArgument.Parent is IObjectCreationOperation creation
                && (KnownSymbols.Is(creation.Type, symbols.Span) || KnownSymbols.Is(creation.Type, symbols.ReadOnlySpan)
                    || KnownSymbols.Is(creation.Type, symbols.Memory) || KnownSymbols.Is(creation.Type, symbols.ReadOnlyMemory)
                    || creation.Type?.Name == "ArraySegment"))
            {
                current = creation;
                continue;
            }

            if (parent is IInvocationOperation { TargetMethod.Name: "Slice" } slice && slice.Instance == current)
            {
                current = slice;
                continue;
            }

            break;
        }

        switch (current.Parent)
        {
            case IPropertyReferenceOperation property when property.Instance == current:
                return property.Property.Name is "Length" or "LongLength" or "IsEmpty"
                    ? new Use(UseKind.Neutral, reference)
                    : new Use(UseKind.Unknown, reference);

            case IArrayElementReferenceOperation element when element.ArrayReference == current:
                return IsWritten(element) ? new Use(UseKind.Unknown, reference) : new Use(UseKind.Neutral, reference);

            case IArgumentOperation argument when argument.Parent is IInvocationOperation invocation:
                return ClassifyArgument(reference, argument, invocation, buffer, symbols);

            case IInvocationOperation invocation when invocation.Instance == current:
                switch (invocation.TargetMethod.Name)
                {
                    case "Clear" or "Fill":
                        return new Use(UseKind.Clear, reference);
                    case "CopyTo" or "TryCopyTo" or "ToArray" or "SequenceEqual" or "IndexOf" or "GetHashCode" or "Equals":
                        return new Use(UseKind.Neutral, reference);
                    default:
                        return new Use(UseKind.Unknown, reference);
                }

            case ISimpleAssignmentOperation assignment when assignment.Target == current && current == reference:
                return ClassifyStore(reference, assignment.Value, buffer, symbols, isDeclaration: false);

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals }:
            case IIsPatternOperation:
                return new Use(UseKind.Neutral, reference);

            default:
                return new Use(UseKind.Unknown, reference);
        }
    }

    private static Use ClassifyStore(IOperation at, IOperation? value, ISymbol buffer, KnownSymbols symbols, bool isDeclaration)
    {
        value = BufferViews.Unwrap(value);
        switch (value)
        {
            case null when isDeclaration:
                return new Use(UseKind.Neutral, at);
            case IArrayCreationOperation { DimensionSizes.Length: 1 } creation:
                return new Use(UseKind.Allocate, at, size: creation.DimensionSizes[0]);
            case IInvocationOperation { TargetMethod.Name: "Rent" } rent
                when KnownSymbols.IsOrDerivesFrom(rent.TargetMethod.ContainingType, symbols.ArrayPool) && rent.Arguments.Length == 1:
                var fact = CreateFact(buffer, ValidLengthSource.Rent, rent, rent.Arguments[0].Value);
                return fact is null ? new Use(UseKind.Unknown, at) : new Use(UseKind.Fill, rent, fact);
            default:
                return new Use(UseKind.Unknown, at);
        }
    }

    private static Use ClassifyArgument(IOperation reference, IArgumentOperation argument, IInvocationOperation invocation, ISymbol buffer, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var parameter = argument.Parameter;
        if (parameter is null || parameter.RefKind is RefKind.Ref or RefKind.Out)
        {
            return new Use(UseKind.Unknown, reference);
        }

        var type = method.ContainingType;

        // Sends, writes and decodes only read the buffer.
        if (parameter.Ordinal == 0 && SocketApi.GetSendKind(method, symbols) is SendKind.Socket or SendKind.Stream or SendKind.UdpClient)
        {
            return new Use(UseKind.Neutral, reference);
        }

        if (parameter.Ordinal == 1 && SocketApi.GetSendKind(method, symbols) == SendKind.Native)
        {
            return new Use(UseKind.Neutral, reference);
        }

        if (KnownSymbols.IsOrDerivesFrom(type, symbols.Encoding) && method.Name != "GetBytes" && parameter.Name == "bytes")
        {
            return new Use(UseKind.Neutral, reference);
        }

        // Read-only parameters and formatting helpers cannot change the contents.
        if (KnownSymbols.Is(parameter.Type, symbols.ReadOnlySpan) || KnownSymbols.Is(parameter.Type, symbols.ReadOnlyMemory)
            || (method.Name.StartsWith("To", System.StringComparison.Ordinal)
                && (KnownSymbols.Is(type, symbols.BitConverter) || (type?.Name == "Convert" && type.ContainingNamespace?.Name == "System"))))
        {
            return new Use(UseKind.Neutral, reference);
        }

        // Zeroing.
        if ((KnownSymbols.Is(type, symbols.Array) && method.Name is "Clear" or "Fill")
            || (method.Name == "ZeroMemory" && type?.Name == "CryptographicOperations"))
        {
            return new Use(UseKind.Clear, reference);
        }

        // The buffer is the source of a copy.
        if (parameter.Name is "src" or "source" or "sourceArray"
            && (KnownSymbols.Is(type, symbols.Buffer) || KnownSymbols.Is(type, symbols.Array)
                || KnownSymbols.Is(type, symbols.Marshal) || KnownSymbols.Is(type, symbols.MemoryExtensions)))
        {
            return new Use(UseKind.Neutral, reference);
        }

        var fact = TryGetFill(invocation, argument, buffer, symbols);
        return fact is null ? new Use(UseKind.Unknown, reference) : new Use(UseKind.Fill, invocation, fact);
    }

    /// <summary>
    /// True when <paramref name="reference"/> is pinned by a <c>fixed</c> statement (<c>buf</c> or <c>&amp;buf[0]</c>) whose
    /// pointer is used only as the buffer of P/Invoke'd sends in the statement's body.
    /// </summary>
    private static bool IsPinnedForSendsOnly(IOperation reference, KnownSymbols symbols)
    {
        var current = reference;
        while (current.Parent is IConversionOperation or IArrayElementReferenceOperation or IAddressOfOperation
               or { Kind: OperationKind.None, Parent: IVariableInitializerOperation })
        {
            current = current.Parent;
        }

        // IFixedOperation is internal in Roslyn 4.8: recognise the statement by its syntax.
        if (current.Parent is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }
            || declarator.Syntax is not Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax
            {
                Parent: Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclarationSyntax { Parent: Microsoft.CodeAnalysis.CSharp.Syntax.FixedStatementSyntax fixedStatement },
            }
            || BufferViews.GetPinnedArray(declarator.Initializer?.Value) != reference
            || reference.SemanticModel?.GetOperation(fixedStatement.Statement) is not { } body)
        {
            return false;
        }

        var pointer = declarator.Symbol;
        var used = false;
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is not ILocalReferenceOperation local || !SymbolEqualityComparer.Default.Equals(local.Local, pointer))
            {
                continue;
            }

            if (local.Parent is IArgumentOperation { Parameter.Ordinal: 1 } argument
                && argument.Parent is IInvocationOperation invocation
                && SocketApi.GetSendKind(invocation.TargetMethod, symbols) == SendKind.Native)
            {
                used = true;
                continue;
            }

            return false;
        }

        return used;
    }

    /// <summary>
    /// When <paramref name="invocation"/> fills <paramref name="buffer"/> (passed as <paramref name="argument"/>)
    /// from index 0 with a known number of bytes, the fact it establishes.
    /// </summary>
    private static ValidLengthFact? TryGetFill(IInvocationOperation invocation, IArgumentOperation argument, ISymbol buffer, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        var parameter = argument.Parameter!;
        var arguments = invocation.Arguments;

        if (!BufferViews.TryGetView(argument.Value, symbols, out var view)
            || !SymbolEqualityComparer.Default.Equals(view.Symbol, buffer)
            || !view.StartsAtZero)
        {
            return null;
        }

        // Buffer.BlockCopy(src, srcOffset, dst, dstOffset, count)
        if (KnownSymbols.Is(type, symbols.Buffer) && method.Name == "BlockCopy" && parameter.Ordinal == 2)
        {
            return BufferViews.IsConstantZero(BufferViews.FindArgument(arguments, 3))
                ? CreateFact(buffer, ValidLengthSource.Copy, invocation, BufferViews.FindArgument(arguments, 4))
                : null;
        }

        // Array.Copy / Array.ConstrainedCopy(..., destinationArray, [destinationIndex,] length)
        if (KnownSymbols.Is(type, symbols.Array) && method.Name is "Copy" or "ConstrainedCopy" && parameter.Name == "destinationArray")
        {
            var index = BufferViews.FindArgument(arguments, "destinationIndex");
            return index is null || BufferViews.IsConstantZero(index.Value)
                ? CreateFact(buffer, ValidLengthSource.Copy, invocation, BufferViews.FindArgument(arguments, "length")?.Value)
                : null;
        }

        // Marshal.Copy(IntPtr source, byte[] destination, int startIndex, int length)
        if (KnownSymbols.Is(type, symbols.Marshal) && method.Name == "Copy" && parameter.Name == "destination")
        {
            return BufferViews.IsConstantZero(BufferViews.FindArgument(arguments, "startIndex")?.Value)
                ? CreateFact(buffer, ValidLengthSource.Copy, invocation, BufferViews.FindArgument(arguments, "length")?.Value)
                : null;
        }

        // source.CopyTo(destination), source.TryCopyTo(destination): spans, memories, MemoryExtensions.CopyTo(T[] source, Span<T> destination).
        if (method.Name is "CopyTo" or "TryCopyTo" && parameter.Name == "destination" && view.Length is null)
        {
            var source = invocation.Instance ?? BufferViews.FindArgument(arguments, "source")?.Value;
            return CreateSourceLengthFact(buffer, invocation, source, symbols);
        }

        // sourceArray.CopyTo(array, index)
        if (KnownSymbols.Is(type, symbols.Array) && method.Name == "CopyTo" && parameter.Name == "array" && view.Wrapper == BufferViewWrapper.None)
        {
            return BufferViews.IsConstantZero(BufferViews.FindArgument(arguments, "index")?.Value)
                ? CreateLengthOfFact(buffer, ValidLengthSource.Copy, invocation, invocation.Instance)
                : null;
        }

        // P/Invoke'd memcpy(dest, src, n) / memmove(dest, src, n)
        if (parameter.Ordinal == 0 && NativeMethods.GetEntryPoint(method, symbols) is NativeMethods.Memcpy or NativeMethods.Memmove)
        {
            return CreateFact(buffer, ValidLengthSource.Copy, invocation, BufferViews.FindArgument(arguments, 2));
        }

        // stream.ReadExactly(buffer, 0, count)
        if (KnownSymbols.IsOrDerivesFrom(type, symbols.Stream) && method.Name is "ReadExactly" or "ReadExactlyAsync" && parameter.Name == "buffer")
        {
            var count = BufferViews.FindArgument(arguments, "count");
            return count is not null && BufferViews.IsConstantZero(BufferViews.FindArgument(arguments, "offset")?.Value)
                ? CreateFact(buffer, ValidLengthSource.Copy, invocation, count.Value)
                : null;
        }

        // Reads and encodes that return how many bytes they wrote.
        ValidLengthSource source2;
        if (KnownSymbols.IsOrDerivesFrom(type, symbols.Stream) && method.Name is "Read" or "ReadAsync" or "ReadAtLeast" or "ReadAtLeastAsync" && parameter.Name == "buffer")
        {
            if (method.Name.StartsWith("ReadAtLeast", StringComparison.Ordinal) && FillsWhole(buffer, arguments))
            {
                return null; // ReadAtLeast(block, block.Length) fills the block or throws
            }

            source2 = ValidLengthSource.Read;
        }
        else if (KnownSymbols.IsOrDerivesFrom(type, symbols.Socket) && method.Name is "Receive" or "ReceiveAsync" or "ReceiveFrom" && parameter.Name == "buffer")
        {
            source2 = ValidLengthSource.Read;
        }
        else if (KnownSymbols.IsOrDerivesFrom(type, symbols.Encoding) && method.Name == "GetBytes" && parameter.Name == "bytes")
        {
            source2 = ValidLengthSource.Encode;
        }
        else if (parameter.Ordinal == 1 && NativeMethods.GetEntryPoint(method, symbols) is "read" or "recv" or "recvfrom")
        {
            source2 = ValidLengthSource.Read;
        }
        else
        {
            return null;
        }

        var offset = BufferViews.FindArgument(arguments, "offset") ?? BufferViews.FindArgument(arguments, "byteIndex");
        if (offset is not null && !BufferViews.IsConstantZero(offset.Value))
        {
            return null;
        }

        var result = GetStoredResult(invocation);
        return result is null ? null : CreateSymbolFact(buffer, source2, invocation, result);
    }

    /// <summary>
    /// <c>ReadAtLeast(block, block.Length)</c>, throwing at the end of the stream (the default): the whole buffer is
    /// filled when it returns.
    /// </summary>
    private static bool FillsWhole(ISymbol buffer, ImmutableArray<IArgumentOperation> arguments)
    {
        var throwOnEnd = BufferViews.FindArgument(arguments, "throwOnEndOfStream");
        if (throwOnEnd is not null && !throwOnEnd.IsImplicit && throwOnEnd.Value.ConstantValue is not { HasValue: true, Value: true })
        {
            return false;
        }

        return LinearForm.Strip(BufferViews.FindArgument(arguments, "minimumBytes")?.Value) is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } owner }
            && SymbolEqualityComparer.Default.Equals(ResultUsage.GetSymbolOfReference(LinearForm.Strip(owner)!), buffer);
    }

    private static ValidLengthFact? CreateSourceLengthFact(ISymbol buffer, IInvocationOperation invocation, IOperation? source, KnownSymbols symbols)
    {
        source = BufferViews.Unwrap(source);
        if (source is null)
        {
            return null;
        }

        // data.AsSpan(0, len).CopyTo(buf), data.Slice(0, len).CopyTo(buf)
        if (source is IInvocationOperation { TargetMethod.Name: "Slice" } slice && slice.Arguments.Length == 2)
        {
            return BufferViews.IsConstantZero(slice.Arguments[0].Value)
                ? CreateFact(buffer, ValidLengthSource.Copy, invocation, slice.Arguments[1].Value)
                : null;
        }

        if (BufferViews.TryGetView(source, symbols, out var view))
        {
            if (!view.StartsAtZero)
            {
                return null;
            }

            return view.Length is not null
                ? CreateFact(buffer, ValidLengthSource.Copy, invocation, view.Length)
                : CreateLengthOfFact(buffer, ValidLengthSource.Copy, invocation, view.Reference);
        }

        // A span or memory local/parameter.
        return CreateLengthOfFact(buffer, ValidLengthSource.Copy, invocation, source);
    }

    /// <summary>The local or parameter that receives the result of <paramref name="invocation"/> (through await and conversions).</summary>
    private static ISymbol? GetStoredResult(IInvocationOperation invocation)
    {
        IOperation current = invocation;
        if (current.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configureAwait && configureAwait.Instance == current)
        {
            current = configureAwait;
        }

        if (current.Parent is IAwaitOperation awaited)
        {
            current = awaited;
        }

        while (current.Parent is IConversionOperation or IParenthesizedOperation)
        {
            current = current.Parent;
        }

        if (current.Type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_IntPtr))
        {
            return null;
        }

        switch (current.Parent)
        {
            case ISimpleAssignmentOperation assignment when assignment.Value == current:
                var target = BufferViews.GetTrackableSymbol(assignment.Target);
                return target is ILocalSymbol or IParameterSymbol ? target : null;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } when !declarator.Symbol.IsRef:
                return declarator.Symbol;
            default:
                return null;
        }
    }

    /// <summary>
    /// True when <paramref name="allocation"/> gives <paramref name="fill"/> a zeroed array: same function, every loop
    /// around the fill also around the allocation, and nothing else done to the buffer in between.
    /// </summary>
    private static bool IsFresh(Use allocation, IOperation fill, List<Use> uses)
    {
        var function = GetFunction(fill);
        if (!Equals(GetFunction(allocation.Operation), function))
        {
            return false;
        }

        for (var current = fill.Parent; current is not null && current != function; current = current.Parent)
        {
            if (current is ILoopOperation && !current.Syntax.Span.Contains(allocation.Operation.Syntax.Span))
            {
                return false;
            }
        }

        foreach (var use in uses)
        {
            if (use.Position > allocation.Position && use.Position < fill.Syntax.SpanStart && use.Operation != fill)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the function compares the valid length with the length the site uses, before the site.</summary>
    private static bool IsComparedBefore(IOperation root, ValidLengthFact fact, IOperation site, IOperation? siteFunction, ISymbol buffer, long? usedConstant, CancellationToken cancellationToken)
    {
        foreach (var operation in root.Descendants())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (operation is not IBinaryOperation binary
                || operation.Syntax.SpanStart >= site.Syntax.SpanStart
                || binary.OperatorKind is not (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
                    or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                    or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual)
                || !Equals(GetFunction(operation), siteFunction))
            {
                continue;
            }

            var left = StripCasts(binary.LeftOperand);
            var right = StripCasts(binary.RightOperand);
            if ((fact.IsSameAs(left) && IsUsedLength(right, buffer, usedConstant))
                || (fact.IsSameAs(right) && IsUsedLength(left, buffer, usedConstant)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUsedLength(IOperation? operation, ISymbol buffer, long? usedConstant)
        => usedConstant is { } constant
            ? TryGetInteger(operation, out var value) && value == constant
            : IsLengthOf(operation, buffer);

    /// <summary>True when <paramref name="operation"/> is <c>buffer.Length</c> (through conversions and casts).</summary>
    public static bool IsLengthOf(IOperation? operation, ISymbol buffer)
        => StripCasts(operation) is IPropertyReferenceOperation { Property.Name: "Length" } length
           && SymbolEqualityComparer.Default.Equals(BufferViews.GetTrackableSymbol(BufferViews.Unwrap(length.Instance)), buffer);

    /// <summary>Strips conversions, numeric casts included.</summary>
    public static IOperation? StripCasts(IOperation? operation)
    {
        operation = BufferViews.Unwrap(operation);
        while (operation is IConversionOperation { Conversion.IsNumeric: true } cast)
        {
            operation = BufferViews.Unwrap(cast.Operand);
        }

        return operation;
    }

    // ------------------------------------------------------------------------------------------
    // Control structure.

    private static bool IsReferenceTo(IOperation operation, ISymbol symbol)
    {
        var referenced = operation switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            _ => (ISymbol?)null,
        };
        return referenced is not null && SymbolEqualityComparer.Default.Equals(referenced, symbol);
    }

    /// <summary>True when <paramref name="operation"/> (a variable or element reference) is written or may be written through a reference.</summary>
    private static bool IsWritten(IOperation operation)
    {
        var current = operation;
        while (current.Parent is IParenthesizedOperation)
        {
            current = current.Parent;
        }

        return current.Parent switch
        {
            IAssignmentOperation assignment => assignment.Target == current,
            IIncrementOrDecrementOperation => true,
            IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
            IAddressOfOperation => true,
            ITupleOperation => true,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol.IsRef,
            IReturnOperation => false,
            _ => false,
        };
    }

    /// <summary>The innermost lambda or local function around <paramref name="operation"/>; null for the member body itself.</summary>
    private static IOperation? GetFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="fill"/> runs on every path that reaches <paramref name="site"/> in the same
    /// function: the fill is in the unconditional part of a statement, and the site follows it in the same
    /// block (or in the body of the statement whose condition or header holds the fill).
    /// </summary>
    private static bool Dominates(IOperation fill, IOperation site)
    {
        if (!Equals(GetFunction(fill), GetFunction(site)) || site.Syntax.SpanStart < fill.Syntax.Span.End)
        {
            return false;
        }

        var child = fill;
        for (var parent = fill.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            switch (parent)
            {
                case IBlockOperation or ISwitchCaseOperation:
                    return parent.Syntax.Span.Contains(site.Syntax.Span);
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
                case IConditionalOperation conditional when child != conditional.Condition:
                case ICoalesceOperation coalesce when child == coalesce.WhenNull:
                case IConditionalAccessOperation access when child == access.WhenNotNull:
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } binary when child == binary.RightOperand:
                case ILoopOperation loop when child == loop.Body:
                case IWhileLoopOperation { ConditionIsTop: false }:
                case IForLoopOperation forLoop when forLoop.AtLoopBottom.Contains(child):
                case ISwitchExpressionArmOperation:
                case ITryOperation tryOperation when child != tryOperation.Body:
                case ICatchClauseOperation:
                    return false;
            }
        }

        return false;
    }

    /// <summary>The spans of the loops that contain <paramref name="site"/> but not <paramref name="fill"/>.</summary>
    private static List<Microsoft.CodeAnalysis.Text.TextSpan> GetLoopSpansBetween(IOperation site, IOperation fill)
    {
        var spans = new List<Microsoft.CodeAnalysis.Text.TextSpan>();
        for (var current = site.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                break;
            }

            if (current is ILoopOperation && !current.Syntax.Span.Contains(fill.Syntax.Span))
            {
                spans.Add(current.Syntax.Span);
            }
        }

        return spans;
    }

    private static bool IsInAny(IOperation operation, List<Microsoft.CodeAnalysis.Text.TextSpan> spans)
    {
        foreach (var span in spans)
        {
            if (span.Contains(operation.Syntax.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInScope(IOperation site, ILocalSymbol local)
    {
        var model = site.SemanticModel;
        if (model is null)
        {
            return false;
        }

        foreach (var symbol in model.LookupSymbols(site.Syntax.SpanStart, name: local.Name))
        {
            if (SymbolEqualityComparer.Default.Equals(symbol, local))
            {
                return true;
            }
        }

        return false;
    }
}
